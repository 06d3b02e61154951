package sources

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Checkpointed file sources (Resumer). The position is the list of files
// read to their end, in the order they were read, then the file being
// read and how many of its records were handed over:
//
//	{"done": ["a.jsonl", "b.jsonl"], "file": "c.jsonl", "records": 2048}
//
// A restarted query reads that file on from that record (counting records
// again, so a csv header is seen), then every file of the directory not
// done, in name order, then watches for new ones. So with a checkpoint the
// files present at the first start are read too: the directory's files are
// the input, and the checkpoint says which of them are used up. Files are
// known by name: one replaced under a name already done is not read again.

// filePos is the position after a chunk of file name, records records in.
// done is the list at that moment; the source only appends to it, so the
// elements the slice covers never change.
type filePos struct {
	done    []string
	file    string
	records int64
}

type filePosJSON struct {
	Done    []string `json:"done"`
	File    string   `json:"file,omitempty"`
	Records int64    `json:"records,omitempty"`
}

func (p filePos) MarshalJSON() ([]byte, error) {
	return json.Marshal(filePosJSON{Done: p.done, File: p.file, Records: p.records})
}

// fileProgress is a checkpointed file source's record of what it read.
type fileProgress struct {
	done     []string
	doneSet  map[string]bool
	resume   string // the file a checkpoint was in the middle of
	skip     int64  // and its records already handed over
	resuming bool   // resume is still to be read
}

func (s *fileSource) Resume(saved []byte) error {
	if s.tail {
		return errors.New("file(): tail => true cannot be checkpointed (positions inside growing files are not tracked); remove tail or --checkpoint")
	}
	if s.start == "latest" {
		return errors.New("file(): start => 'latest' cannot be checkpointed: with a checkpoint the directory's files are the input, and every file not read yet is read (those present at the first start too); remove start or --checkpoint")
	}
	p := &fileProgress{doneSet: map[string]bool{}}
	if saved != nil {
		var j filePosJSON
		if err := json.Unmarshal(saved, &j); err != nil {
			return fmt.Errorf("file(): checkpointed position: %w", err)
		}
		p.done = j.Done
		for _, n := range j.Done {
			p.doneSet[n] = true
		}
		p.resume, p.skip, p.resuming = j.File, j.Records, j.File != ""
	}
	s.progress = p
	return nil
}

// markDone records that name was read to its end (or skipped for good).
func (p *fileProgress) markDone(name string) {
	if p.doneSet[name] {
		return
	}
	p.done = append(p.done, name)
	p.doneSet[name] = true
}

// backlog is what a checkpointed source reads before watching: the file
// it was in the middle of, then every file not done, in name order.
func (s *fileSource) backlog() ([]string, error) {
	names, err := s.listFiles()
	if err != nil {
		return nil, err
	}
	p := s.progress
	var out []string
	if p.resuming {
		out = append(out, p.resume)
	}
	for _, n := range names {
		if !p.doneSet[n] && !(p.resuming && n == p.resume) {
			out = append(out, n)
		}
	}
	return out, nil
}
