package riscv

import (
	"sync"
	"sync/atomic"
)

// Code copies. Guest code the host cannot read — an execute-only page
// (guest EXEC without READ is host PROT_NONE), or a host page shared with
// a more restrictive guest page — faults when the run loop reads it. Run
// reports the fault; the caller's memory manager says the guest may fetch
// there, and Emulate reads the code's chunk (the 4 KiB-aligned block
// around the fault, cut to the executable range) through
// SlowMemory.Fetch. The CPU keeps that copy and fetches from it until
// Invalidate reports a change in its range, so such code costs one slow
// read per chunk instead of a host fault per instruction.
//
// The run loop's direct read covers [fastLo, fastHi), the part of the
// cached executable range around the last fetch that holds no copy;
// fetches outside it go through fetch, which finds the copy. A chunk whose
// memory can change behind the CPU's back (SlowMemory.Fetch answers
// keep=false) holds no bytes: each fetch there reads through Fetch.

// copyChunk is the size and alignment of a code copy. Guest pages are at
// least 4 KiB and aligned, so a chunk lies inside one guest page.
const copyChunk = 4096

// maxCopies bounds the chunks a CPU holds; past it the oldest is dropped.
const maxCopies = 16

// codeChunk is a copy of the guest code in [lo, hi).
type codeChunk struct {
	lo, hi uint64
	keep   bool // data holds the code; otherwise read through Fetch
	data   [copyChunk]byte
}

// codeCopies is a CPU's set of code copies. chunks, last and next belong
// to the CPU's goroutine; spans, inv and invAll are shared with the
// goroutines that call Invalidate and CodeWritten.
type codeCopies struct {
	// spans publishes the ranges of chunks (nil when there are none),
	// so that other goroutines note only the changes that concern a
	// chunk. It is updated before a chunk is read: a change that does
	// not see it happened before the read.
	spans atomic.Pointer[[]span]

	chunks []*codeChunk
	last   *codeChunk // the chunk of the last fetch from a copy
	next   int        // the chunk to replace when chunks is full

	// mu guards inv and invAll: the ranges reported since the CPU last
	// looked that overlap a chunk (invAll once there are too many).
	mu     sync.Mutex
	inv    []span
	invAll bool
}

type span struct{ lo, hi uint64 }

func (cc *codeCopies) count() int { return len(cc.chunks) }

// find returns the chunk holding the parcel at a, or nil.
func (cc *codeCopies) find(a uint64) *codeChunk {
	if l := cc.last; l != nil && a >= l.lo && a+2 <= l.hi {
		return l
	}
	for _, ch := range cc.chunks {
		if a >= ch.lo && a+2 <= ch.hi {
			cc.last = ch
			return ch
		}
	}
	return nil
}

// read16 reads the parcel at a from chunk ch. If the chunk keeps no
// bytes, the parcel is read through slow; a failure sets *bad.
func (cc *codeCopies) read16(slow SlowMemory, ch *codeChunk, a uint64, bad *uint64) (uint16, bool) {
	if ch.keep {
		i := a - ch.lo
		return uint16(ch.data[i]) | uint16(ch.data[i+1])<<8, true
	}
	var b [2]byte
	if _, ok := slow.Fetch(a, b[:]); !ok {
		*bad = a
		return 0, false
	}
	return uint16(b[0]) | uint16(b[1])<<8, true
}

// around returns the largest part of the executable range [lo, hi) that
// contains a and no chunk: the run loop may read it directly.
func (cc *codeCopies) around(a, lo, hi uint64) (uint64, uint64) {
	for _, ch := range cc.chunks {
		switch {
		case ch.hi <= a:
			lo = max(lo, ch.hi)
		case ch.lo > a:
			hi = min(hi, ch.lo)
		default:
			return 0, 0
		}
	}
	if lo >= hi {
		return 0, 0
	}
	return lo, hi
}

// add makes room for a chunk over [lo, hi) (replacing one that overlaps
// it, or the oldest if the set is full) and returns it, empty.
func (cc *codeCopies) add(lo, hi uint64) *codeChunk {
	for i, ch := range cc.chunks {
		if ch.lo < hi && lo < ch.hi {
			cc.removeAt(i)
			break
		}
	}
	ch := &codeChunk{lo: lo, hi: hi}
	if len(cc.chunks) < maxCopies {
		cc.chunks = append(cc.chunks, ch)
	} else {
		cc.next %= maxCopies
		cc.chunks[cc.next] = ch
		cc.next++
	}
	cc.last = nil
	cc.publish()
	return ch
}

// publish updates spans from chunks.
func (cc *codeCopies) publish() {
	if len(cc.chunks) == 0 {
		cc.spans.Store(nil)
		return
	}
	s := make([]span, len(cc.chunks))
	for i, ch := range cc.chunks {
		s[i] = span{ch.lo, ch.hi}
	}
	cc.spans.Store(&s)
}

// remove drops chunk ch.
func (cc *codeCopies) remove(ch *codeChunk) {
	for i, x := range cc.chunks {
		if x == ch {
			cc.removeAt(i)
			return
		}
	}
}

func (cc *codeCopies) removeAt(i int) {
	n := len(cc.chunks) - 1
	cc.chunks[i] = cc.chunks[n]
	cc.chunks[n] = nil
	cc.chunks = cc.chunks[:n]
	cc.last = nil
	cc.publish()
}

// dropAll drops every chunk.
func (cc *codeCopies) dropAll() {
	for len(cc.chunks) > 0 {
		cc.removeAt(len(cc.chunks) - 1)
	}
	cc.mu.Lock()
	cc.inv, cc.invAll = cc.inv[:0], false
	cc.mu.Unlock()
}

// noteInvalid records that [lo, hi) changed, if a chunk lies there, and
// reports whether it did. Any goroutine.
func (cc *codeCopies) noteInvalid(lo, hi uint64) bool {
	s := cc.spans.Load()
	if s == nil {
		return false
	}
	hit := false
	for _, x := range *s {
		if x.lo < hi && lo < x.hi {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	cc.mu.Lock()
	if len(cc.inv) < 32 {
		cc.inv = append(cc.inv, span{lo, hi})
	} else {
		cc.invAll = true
	}
	cc.mu.Unlock()
	return true
}

// applyInvalid drops the chunks that the recorded ranges overlap.
func (cc *codeCopies) applyInvalid() {
	cc.mu.Lock()
	inv, all := cc.inv, cc.invAll
	cc.inv, cc.invAll = nil, false
	cc.mu.Unlock()
	if all {
		for len(cc.chunks) > 0 {
			cc.removeAt(len(cc.chunks) - 1)
		}
		return
	}
	for _, r := range inv {
		for i := 0; i < len(cc.chunks); {
			if ch := cc.chunks[i]; ch.lo < r.hi && r.lo < ch.hi {
				cc.removeAt(i)
				continue
			}
			i++
		}
	}
}
