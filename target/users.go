package target

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/target/store"
)

type createUserRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// POST /api/v1/users {name, email}
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	req.Name, req.Email = strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	if aerr := checkText("name", req.Name, 1, 200); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if aerr := validText("email", req.Email); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if len(req.Email) < 3 || len(req.Email) > 320 || !strings.Contains(req.Email, "@") {
		writeAPIError(w, badRequest("email", "email %q: want an address with @", req.Email))
		return
	}
	u, err := s.store.CreateUser(r.Context(), req.Name, req.Email)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func userKey(id int64) string   { return "user:" + strconv.FormatInt(id, 10) }
func memoryKey(id int64) string { return "memory:" + strconv.FormatInt(id, 10) }

// GET /api/v1/users/{id}
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	body, _, err := cachedJSON(r.Context(), s.users, userKey(id), func(ctx context.Context) (store.User, error) {
		return s.store.GetUser(ctx, id)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// UserMemory is the body of GET /api/v1/users/{id}/memory: what the agent
// remembers, by kind.
type UserMemory struct {
	UserID      int64          `json:"user_id"`
	Profile     []store.Memory `json:"profile"`
	Goals       []store.Memory `json:"goals"`
	Preferences []store.Memory `json:"preferences"`
	Facts       []store.Memory `json:"facts"`
}

// memoryJSON is the cached JSON of the user's memory.
func (s *Server) memoryJSON(ctx context.Context, id int64) ([]byte, error) {
	body, _, err := cachedJSON(ctx, s.memory, memoryKey(id), func(ctx context.Context) (UserMemory, error) {
		ms, err := s.store.UserMemories(ctx, id)
		if err != nil {
			return UserMemory{}, err
		}
		um := UserMemory{UserID: id, Profile: []store.Memory{}, Goals: []store.Memory{}, Preferences: []store.Memory{}, Facts: []store.Memory{}}
		for _, m := range ms {
			switch m.Kind {
			case store.KindProfile:
				um.Profile = append(um.Profile, m)
			case store.KindGoal:
				um.Goals = append(um.Goals, m)
			case store.KindPreference:
				um.Preferences = append(um.Preferences, m)
			default:
				um.Facts = append(um.Facts, m)
			}
		}
		return um, nil
	})
	return body, err
}

// loadMemory is the user's memory, decoded from the cached JSON.
func (s *Server) loadMemory(ctx context.Context, id int64) (UserMemory, error) {
	body, err := s.memoryJSON(ctx, id)
	if err != nil {
		return UserMemory{}, err
	}
	var um UserMemory
	if err := json.Unmarshal(body, &um); err != nil {
		return UserMemory{}, fmt.Errorf("decoding cached memory of user %d: %w", id, err)
	}
	return um, nil
}

// GET /api/v1/users/{id}/memory
func (s *Server) getMemory(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	body, err := s.memoryJSON(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

type addMemoryRequest struct {
	Kind    string `json:"kind"`
	Content string `json:"content"`
}

// POST /api/v1/users/{id}/memory {kind, content}
func (s *Server) addMemory(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	var req addMemoryRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if !store.ValidKind(req.Kind) {
		writeAPIError(w, badRequest("kind", "kind %q: want profile, goal, preference or fact", req.Kind))
		return
	}
	req.Content = strings.TrimSpace(req.Content)
	if aerr := checkText("content", req.Content, 1, 4000); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	m, err := s.store.AddMemory(r.Context(), id, req.Kind, req.Content)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.memory.Invalidate(r.Context(), memoryKey(id)); err != nil {
		s.cfg.Logger.Warn("cache invalidation failed", "error", err)
	}
	writeJSON(w, http.StatusCreated, m)
}

// GET /api/v1/users/{id}/memory/search?q=&limit=
func (s *Server) searchMemory(w http.ResponseWriter, r *http.Request) {
	id, aerr := pathID(r, "id")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	query := r.URL.Query()
	q := strings.TrimSpace(query.Get("q"))
	if aerr := checkText("q", q, 1, maxQueryLen); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	limit, aerr := queryLimit(query, 10, 50)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	ms, err := s.store.SearchMemories(r.Context(), id, q, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ms == nil {
		ms = []store.Memory{}
	}
	writeJSON(w, http.StatusOK, struct {
		UserID  int64          `json:"user_id"`
		Query   string         `json:"query"`
		Results []store.Memory `json:"results"`
	}{id, q, ms})
}
