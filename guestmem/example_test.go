package guestmem_test

import (
	"fmt"

	"gemu.dev/gemu/guestmem"
)

func Example() {
	s, err := guestmem.New(guestmem.Config{GuestPageSize: 16384})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	// Two pages of anonymous memory, placed top-down below the mmap base.
	a, errno := s.Mmap(0, 2*16384, guestmem.ProtRead|guestmem.ProtWrite,
		guestmem.MapPrivate|guestmem.MapAnonymous, -1, 0)
	if errno != 0 {
		panic(errno)
	}
	fmt.Println("placed below the mmap base:", a+2*16384 <= s.MmapBase())

	// The second page becomes read-only: the mapping splits in two.
	s.Mprotect(a+16384, 16384, guestmem.ProtRead)
	for _, m := range s.Mappings() {
		fmt.Printf("%d KiB prot %d\n", m.Len()/1024, m.Prot)
	}

	// Guest memory is reached through checked copies.
	fmt.Println(s.CopyOut(a, []byte("hi")) == 0, s.CopyOut(a+16384, []byte("hi")))
	// Output:
	// placed below the mmap base: true
	// 16 KiB prot 3
	// 16 KiB prot 1
	// true bad address
}
