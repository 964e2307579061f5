// Package events is the measuring side of `concord serve`: the dashboard,
// reports with their charts and downloads, the event search, one event's
// page, everything known about an IP address, and ingest by upload or by
// stream with its rejection list. Each page has a JSON twin under
// /api/v1/.
//
// Everything shown passes the caller's TLP clearance: searches ask the
// store for the labels the caller may receive (web.Ctx.TLPs); one event is
// refused, as missing, unless the caller may receive its label; figures
// derived from many events (reports, charts, the dashboard, an address's
// history) carry the strictest label among the events of their days
// (node.ReportMarking) and are withheld from a caller who may not receive
// it. Reports are cached per period, because computing one over a month of
// ten million events takes a third of a second; an ingest through the
// server, or five minutes, makes them stale.
package events
