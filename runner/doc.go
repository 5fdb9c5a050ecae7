// Package runner turns a scenario into load and the load into figures: a
// preflight of the target, optional setup requests, then the attack paced
// by the scenario's stages (open model) or by its users (closed model),
// every request's result recorded into HDR histograms per endpoint and
// overall (corrected for coordinated omission), the target's Prometheus
// metrics scraped during the run. It writes the interval logs
// (latency.hlog, service_time.hlog, stream.hlog) and returns run.json's
// and timeline.json's content in memory (Result), as record describes.
//
// Two engines: a scenario of plain requests runs on vegeta's attack
// (attack.go); one with flows or streamed responses runs on the flow
// engine (journey.go), whose scheduler hands each request to a sender
// (sender.go: a body read whole, or a stream of events read event by
// event, stream.go). Both hand the recorder one result record each
// (result.go).
//
// It does not render reports or evaluate gates but its abort gates: the
// owner of the run (package trial) judges and writes what it measured.
package runner
