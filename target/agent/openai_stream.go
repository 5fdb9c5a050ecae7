package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
)

// maxEvent bounds one line of an upstream stream.
const maxEvent = 1 << 20

// streamChunk is what Stream reads of a chat.completion.chunk.
type streamChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage     `json:"usage"`
	Error *errorBody `json:"error"`
}

// Stream posts the prompt with stream: true (and stream_options.include_usage)
// and relays each content delta of the server's Server-Sent Events as it
// arrives, one token a chunk (a chunk of an OpenAI-compatible server is one
// token, or a few). It ends at data: [DONE]; a stream that ends before,
// without a finish reason, is an error, as is an event carrying an error.
// The usage is the server's when it sends one, else the prompt's words and
// the content chunks.
func (o *OpenAI) Stream(ctx context.Context, p Prompt, emit func(Chunk) error) (Reply, error) {
	resp, err := o.post(ctx, p, true)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return Reply{}, fmt.Errorf("openai stream at %s: Content-Type %q, want text/event-stream", o.shown, resp.Header.Get("Content-Type"))
	}
	fail := func(format string, args ...any) (Reply, error) {
		return Reply{}, fmt.Errorf("openai stream at %s: "+format, append([]any{o.shown}, args...)...)
	}
	var (
		text     bytes.Buffer
		chunks   int
		finish   string
		upstream *Usage
		data     []byte // the data lines of the event being read
		hasData  bool   // whether it has any
	)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4096), maxEvent)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) > 0 {
			// A field of the event; only data matters here (comments,
			// event, id and retry do not).
			if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				if hasData {
					data = append(data, '\n')
				}
				data, hasData = append(data, bytes.TrimPrefix(v, []byte(" "))...), true
			}
			continue
		}
		if !hasData {
			continue
		}
		event := data
		data, hasData = data[:0], false
		if string(event) == "[DONE]" {
			return o.streamed(p, text.String(), finish, upstream, chunks), nil
		}
		var c streamChunk
		if err := json.Unmarshal(event, &c); err != nil {
			return fail("malformed event %.80q: %v", event, err)
		}
		if c.Error != nil {
			return fail("server error: %s", c.Error.Message)
		}
		if c.Usage != nil {
			upstream = c.Usage
		}
		if len(c.Choices) == 0 {
			continue
		}
		ch := c.Choices[0]
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			finish = *ch.FinishReason
		}
		if ch.Delta.Content == "" {
			continue
		}
		if text.Len()+len(ch.Delta.Content) > maxReply {
			return fail("reply over %d bytes", maxReply)
		}
		text.WriteString(ch.Delta.Content)
		chunks++
		if err := emit(Chunk{Text: ch.Delta.Content, Tokens: 1}); err != nil {
			return Reply{}, fmt.Errorf("openai stream: %w", err)
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return fail("an event line over %d bytes", maxEvent)
	case err != nil:
		return fail("reading: %w", err)
	case hasData && string(data) == "[DONE]", finish != "":
		// [DONE] without the blank line after it, or no [DONE] after
		// the finish reason: the reply is whole.
		return o.streamed(p, text.String(), finish, upstream, chunks), nil
	}
	return fail("stream ended before data: [DONE]")
}

// streamed is the reply a stream relayed.
func (o *OpenAI) streamed(p Prompt, text, finish string, upstream *Usage, chunks int) Reply {
	return Reply{Text: text, FinishReason: finishReason(finish), Usage: usage(upstream, p, chunks)}
}
