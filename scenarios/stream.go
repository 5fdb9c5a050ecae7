package scenarios

import (
	"fmt"
	"strings"
)

// Stream modes of a request or a flow step (Request.Stream).
const (
	// StreamSSE reads the response as Server-Sent Events: each event's data
	// is one JSON document (an OpenAI chat-completions chunk), and the data
	// "[DONE]" ends the stream.
	StreamSSE = "sse"
	// StreamChunks reads the response as newline-delimited JSON (JSON Lines,
	// as Ollama's native API streams): each line one event; the end of the
	// body ends the stream.
	StreamChunks = "chunks"
)

// DefaultStreamContent is where an event's content is, as OpenAI's
// chat-completions chunks hold it.
const DefaultStreamContent = "$.choices[0].delta.content"

// StreamUsagePath is where an event carries the number of output tokens
// (OpenAI's usage chunk): when one does, the request's tokens are its count
// instead of the number of content events.
const StreamUsagePath = "$.usage.completion_tokens"

// SLO is what one streamed request must meet to count toward goodput
// (vLLM's --goodput): every bound that is set (0: not set). The times run
// as the stream metrics do: TTFT and E2E from the intended send time.
type SLO struct {
	// TTFT bounds the time to the first content event.
	TTFT Duration `yaml:"ttft"`
	// TPOT bounds the time per output token after the first:
	// (last content − first content) / (tokens − 1).
	TPOT Duration `yaml:"tpot"`
	// ITL bounds the request's longest gap between two content events.
	ITL Duration `yaml:"itl"`
	// E2E bounds the whole request, from its intended send time to the end
	// of its stream.
	E2E Duration `yaml:"e2e"`
}

// IsZero reports whether no bound is set.
func (s SLO) IsZero() bool { return s == SLO{} }

// StreamsOf returns the stream mode of a request or step and its content
// path, with the default path for a stream that names none.
func StreamsOf(mode, content string) (string, string) {
	if mode != "" && content == "" {
		content = DefaultStreamContent
	}
	return mode, content
}

// StreamEndpoints lists the endpoints whose responses are streams: the
// requests and the flow steps (<flow>.<step>) with stream set, in order.
func (s *Scenario) StreamEndpoints() []string {
	var names []string
	for _, r := range s.Requests {
		if r.Stream != "" {
			names = append(names, r.Name)
		}
	}
	for _, f := range s.Flows {
		for _, st := range f.Steps {
			if st.Stream != "" {
				names = append(names, EndpointName(f.Name, st.Name))
			}
		}
	}
	return names
}

// HasStreams reports whether any request or step streams: such a scenario
// runs on the flow engine.
func (s *Scenario) HasStreams() bool { return len(s.StreamEndpoints()) > 0 }

// stream validates a request's or a step's stream keys; bodyRead says
// which of its checks and extracts read the body, which a stream does not
// keep.
func (v *validation) stream(field, mode, content string, bodyRead []string) {
	switch mode {
	case "", StreamSSE, StreamChunks:
	default:
		v.add(field+".stream", "%q: want %s or %s (or leave it out to read the body whole)", mode, StreamSSE, StreamChunks)
		return
	}
	if mode == "" {
		if content != "" {
			v.add(field+".stream_content", "applies to a stream: set stream: %s or %s", StreamSSE, StreamChunks)
		}
		return
	}
	if content != "" {
		if _, err := ParseJSONPath(content); err != nil {
			v.add(field+".stream_content", "%v", err)
		}
	}
	if len(bodyRead) > 0 {
		v.add(field+".stream", "a stream's body is read as events, not kept: %s cannot read it (status, header and max_duration checks can)", strings.Join(bodyRead, ", "))
	}
}

// slo validates the slo map: bounds not negative, and only in a scenario
// whose requests stream.
func (v *validation) slo() {
	s := v.s.SLO
	for key, d := range map[string]Duration{"ttft": s.TTFT, "tpot": s.TPOT, "itl": s.ITL, "e2e": s.E2E} {
		if d < 0 {
			v.add("slo."+key, "%s: must not be negative", d)
		}
	}
	if !s.IsZero() && !v.s.HasStreams() {
		v.add("slo", "the SLO applies to streamed requests (stream: %s or %s), and no request or step of the scenario streams", StreamSSE, StreamChunks)
	}
}

// bodyReaders names the checks and extracts of a step that read its body.
func bodyReaders(st FlowStep) []string {
	var out []string
	for i, c := range st.Check {
		switch c.Kind() {
		case "body_contains", "body_matches", "json":
			out = append(out, fmt.Sprintf("check[%d] (%s)", i, c.Kind()))
		}
	}
	for name, e := range st.Extract {
		switch e.Kind() {
		case "json", "regex":
			out = append(out, fmt.Sprintf("extract %s (%s)", name, e.Kind()))
		}
	}
	return out
}
