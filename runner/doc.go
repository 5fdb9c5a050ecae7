// Package runner turns a scenario into load and the load into a results
// directory: a preflight of the target, optional setup requests, one vegeta
// attack paced by the scenario's stages (open model) or by its users (closed
// model), every result recorded into HDR histograms per endpoint and overall
// (corrected for coordinated omission), the target's Prometheus metrics
// scraped during the run, and run.json, timeline.json and latency.hlog
// written as record describes.
//
// It does not render reports or evaluate gates: the report package reads the
// results directory afterwards.
package runner
