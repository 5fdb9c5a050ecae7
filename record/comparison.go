package record

import "path/filepath"

// ComparisonFile is a comparison's record of what it compared, in the
// comparison's directory beside its report.html and summary.md.
const ComparisonFile = "comparison.json"

// Comparison is the content of comparison.json: the runs a comparison
// compared, in order (the first is the baseline the others are measured
// against; the last is the one `loadgate compare` exits by), and their
// labels. `loadgate gate` on a comparison's directory judges its last run.
type Comparison struct {
	Schema int `json:"schema"`
	// Runs are the run directories, relative to the comparison's directory
	// when they lie inside it, else as given.
	Runs   []string `json:"runs"`
	Labels []string `json:"labels"`
}

// ReadComparison reads dir/comparison.json; ErrMissing when there is none.
func ReadComparison(dir string) (*Comparison, error) {
	var c Comparison
	if err := readJSON(filepath.Join(dir, ComparisonFile), MaxJSONBytes, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// RunDir is run i's directory: relative paths are the comparison's
// directory's.
func (c *Comparison) RunDir(dir string, i int) string {
	if filepath.IsAbs(c.Runs[i]) {
		return c.Runs[i]
	}
	return filepath.Join(dir, c.Runs[i])
}
