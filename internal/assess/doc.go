// Package assess judges attribution from evidence, the way a careful analyst
// would: every item carries an Admiralty grade, every hypothesis is scored
// with Analysis of Competing Hypotheses (PARC ACH 1.1 arithmetic), and a
// documented likelihood model turns the graded ratings into ICD 203 words
// with a number, kept apart from the analytic confidence in the judgement.
//
// It sits after the store in Concord's flow: an investigator names the
// addresses an attack came from, and the package asks a Background (the IP
// database, the relay lists and the stored feeds) what each address was at
// that time, turns the answers into evidence items rated automatically
// against the hypotheses, and adds the mandatory hypotheses for every
// country an address is in (actor there, compromised machine there,
// anonymising relay there, false flag implicating it).
//
// Rules from DOMAIN.md §5 are enforced here, not left to the analyst: IP
// observations alone never lift "actor operates from X" above roughly even
// chance nor above the machine level; a relay flag makes an observation
// neutral between the actor and the relay hypothesis; forgeable artefacts
// alone never rule out a false flag; confidence stays low while the
// judgement hangs on an uncorroborated item. docs/assessment.md explains the
// model to analysts.
package assess
