// Package federation moves formal requests for assistance, and the status
// updates that answer them, between agencies in different countries before
// live federation between Concord instances exists.
//
// # Place in the flow
//
// The requesting agency builds a Package (NewPackage) whose Payload the
// storage layer fills with the request, the case excerpt and the hashes of the
// evidence, and seals it with its signing key (Seal). The result is one file
// that travels over whatever channel the two agencies already use: e-mail,
// Europol SIENA, INTERPOL I-24/7, a USB stick. The receiving agency imports the
// file (OpenOnce): this package proves who sent it and that nothing was
// altered, and refuses a second import of the same package; the storage layer
// then records the request and the package ID in one transaction. Status
// updates travel back the same way with Kind "status".
//
// Each agency has one Ed25519 key pair (GenerateKey, SaveKey, LoadKey,
// LoadOrCreateKey). The public half is handed to partners as a short text
// (EncodePublicKey) and registered on their side only after both sides have
// read its Fingerprint to each other over the phone or another channel that
// is not the one packages travel on.
//
// # Threat model
//
// Protected:
//   - Origin: a package opens only if it was signed by the key registered for
//     the agency named as its sender. A forged sender, or a package signed
//     with any other key, fails with ErrUnknownSigner or ErrBadSignature.
//   - Integrity: the signature covers every byte of the package, including
//     the TLP label, the addressee, the payload and the hash and size of every
//     attachment. Attachment bytes carried in the file are checked against
//     their hashes (ErrAttachment); attachments sent separately can be checked
//     against the same hashes when they arrive.
//   - Misdelivery: a package addressed to another agency is refused
//     (ErrNotForUs), so a file forwarded by mistake is not imported as if it
//     had been meant for the reader.
//   - Replay: every package carries a random 128-bit ID; OpenOnce refuses an ID
//     that was imported before (ErrReplay), so a re-sent or re-played file
//     cannot open a second request or repeat a status change.
//
// Not protected:
//   - Confidentiality. A package is signed, not encrypted: anyone who can read
//     the channel can read the package. It is exactly as confidential as the
//     channel it travels on, which is why its TLP label is inside the signed
//     bytes: the label cannot be stripped or lowered in transit, and the
//     sender must choose a channel that the label allows.
//   - A stolen signing key. Whoever holds an agency's private key can sign as
//     that agency until its partners register a new key. The key file is
//     therefore written with mode 0600 and LoadKey refuses a key file that
//     other users can read.
//   - Key registration itself. Trust rests on the fingerprint comparison made
//     when a partner key is registered; this package cannot tell a partner's
//     real key from one an attacker handed over in its name.
//   - Withholding and delay. A package that is dropped or held back on the
//     channel simply never arrives; request deadlines are tracked elsewhere.
//     Packages dated more than MaxClockSkew in the future are refused, which
//     catches badly set clocks rather than attacks.
//   - Size. Open works on a file already read into memory; the caller decides
//     how large a file it is willing to read.
//
// # File format
//
// A sealed file is a JSON object:
//
//	{
//	  "concord_package": 1,
//	  "signer": "3f9a 1c07 …",
//	  "signature": "<base64 of the 64-byte Ed25519 signature>",
//	  "signed": "<base64 of the package's JSON bytes>"
//	}
//
// The signature is made over "concord-package-v1\n" followed by the exact
// bytes carried in "signed", so a reader verifies before it interprets and no
// canonical form of the JSON is needed; the prefix keeps a package signature
// from being valid for anything else the same key might ever sign.
package federation
