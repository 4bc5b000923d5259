package guestmem

import (
	"bufio"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// SetName names the mappings in r ("[stack]", "[vdso]", or an anonymous
// mapping's name as set by prctl(PR_SET_VMA_ANON_NAME), given here as
// "[anon:name]"). Mappings are split at r's edges. A hole gives ENOMEM.
func (s *Space) SetName(r Range, name string) unix.Errno {
	s.lock()
	defer s.unlock()
	err := s.walkMapped(r.Start, r.End, func(v *vma, p Range) unix.Errno {
		if v.name == name {
			return 0
		}
		v = s.isolate(v, p)
		v.name = name
		return 0
	})
	s.mergeRange(r)
	return err
}

// nameOf is the name /proc/self/maps shows for v: its own, the backing
// file's path, or "[heap]" for anonymous memory spanning the break.
func (s *Space) nameOf(v *vma) string {
	if v.name != "" {
		return v.name
	}
	if v.file != nil {
		return v.file.path
	}
	if s.brkSet && v.start <= s.brk && v.end >= s.brkStart {
		return "[heap]"
	}
	return ""
}

// WriteProcMaps writes the guest's /proc/self/maps, in Linux's format.
func (s *Space) WriteProcMaps(w io.Writer) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	bw := bufio.NewWriter(w)
	for v := s.vmas.first; v != nil; v = v.next {
		s.writeMapsLine(bw, v)
	}
	return bw.Flush()
}

// ProcMaps returns the guest's /proc/self/maps text.
func (s *Space) ProcMaps() []byte {
	var b bytesBuffer
	s.WriteProcMaps(&b)
	return b
}

type bytesBuffer []byte

func (b *bytesBuffer) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }

func (s *Space) writeMapsLine(w *bufio.Writer, v *vma) {
	perm := []byte("---p")
	if v.prot&ProtRead != 0 {
		perm[0] = 'r'
	}
	if v.prot&ProtWrite != 0 {
		perm[1] = 'w'
	}
	if v.prot&ProtExec != 0 {
		perm[2] = 'x'
	}
	if v.shared {
		perm[3] = 's'
	}
	var off, dev, ino uint64
	if v.file != nil {
		off, dev, ino = v.off, v.file.dev, v.file.ino
	}
	n, _ := fmt.Fprintf(w, "%08x-%08x %s %08x %02x:%02x %d ",
		uint64(v.start), uint64(v.end), perm, off, unix.Major(dev), unix.Minor(dev), ino)
	if name := s.nameOf(v); name != "" {
		// Linux pads the name to start at column 73 on 64-bit kernels.
		for ; n < 73; n++ {
			w.WriteByte(' ')
		}
		w.WriteString(name)
	}
	w.WriteByte('\n')
}
