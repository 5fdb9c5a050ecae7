package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteJSON writes v as indented JSON to path through a temporary file in the
// same directory and a rename, so a reader never sees a half-written file.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return WriteFile(path, append(data, '\n'))
}

// WriteFile writes data to path atomically (temporary file, fsync, rename),
// readable by all (0644) like any report.
func WriteFile(path string, data []byte) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	defer f.discard()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.commit()
}

// atomicFile is a file written under a temporary name in its directory and
// renamed to its own once whole (commit), so that no reader ever sees it
// half-written: what WriteFile writes at once, a merged interval log as it
// is streamed.
type atomicFile struct {
	*os.File // the temporary file
	path     string
}

func createAtomic(path string) (*atomicFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &atomicFile{File: tmp, path: path}, nil
}

// commit syncs the file and renames it to its path, readable by all (0644).
func (f *atomicFile) commit() error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	// os.CreateTemp makes the file private (0600).
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		return fmt.Errorf("writing %s: %w", f.path, err)
	}
	return nil
}

// discard closes and removes the temporary file; after commit it does
// nothing (the file is closed, and renamed away).
func (f *atomicFile) discard() {
	_ = f.Close()
	_ = os.Remove(f.Name())
}
