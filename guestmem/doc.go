// Package guestmem is a guest address space for a user-mode emulator: it
// gives a guest program a complete Linux address space — mmap, munmap,
// mprotect, mremap, msync, madvise, mincore, mlock, brk — on real host
// memory, with Linux's results and errno for every input, for any guest and
// host page size (G >= H, and G < H with the refusals described below).
//
// # The window
//
// New reserves one contiguous host range of 2^AddressBits bytes, PROT_NONE
// and MAP_NORESERVE: the window. Guest address a is host address Base()+a.
// Every guest mapping is a host mapping placed with MAP_FIXED inside the
// window; unmapping maps the PROT_NONE reservation back over the range in
// one host call, so the window never has a hole another part of the process
// could be given. A guest address outside the window is invalid by
// construction: the guest cannot reach emulator memory. Host protections
// follow guest protections, except that guest EXEC becomes host READ: guest
// memory is never executable on the host. Because guest memory is real
// memory, host system calls can read and write guest buffers directly
// (Slice), and a CPU's loads and stores need no lock: the host MMU checks
// them, and a host fault in the window is classified by ClassifyFault.
//
// Host VMAs: a guest mapping costs the host up to two VMAs (itself and the
// reservation piece beside it), so the host's vm.max_map_count (65530 by
// default) lets a guest hold about 32,000 separate mappings; past that the
// host refuses and the guest gets ENOMEM, with the reason in Config.Logf.
//
// # Page sizes
//
// G is the guest page size (AT_PAGESZ), H the granularity of host
// operations (the real host page size R, or a larger power of two chosen to
// exercise a larger-page host's paths). Alignment checks, length rounding
// and address choice use G. With G > H a guest page is G/H host pages; the
// one case needing care is a file mapping whose last guest page runs past
// end of file (see hostpages.go).
//
// With G < H a host page holds several guest pages, which may differ in
// protection, file, offset and sharing, or be unmapped (mixed.go). The
// mapping set stays exact per guest page: mprotect, munmap, mremap,
// madvise, mincore, /proc/self/maps and the access checks answer per guest
// page. Every host call is made in whole, H-aligned host pages. Host pages
// wholly inside one mapping are handled in bulk as with G >= H; the host
// pages at the edges of an operation's ranges are noted and rebuilt when it
// is done, from the mapping set, as one of three kinds: reservation (no
// guest page mapped), direct (the pages' one file at one H-aligned offset,
// private or shared) or an anonymous copy (private pages of anything else,
// file pages read in with pread). The rebuild saves the contents of the
// guest pages that survive through /proc/self/mem, maps the new host page,
// writes them back, fills new pages and sets the host protection. Host
// pages that an operation's own bulk host call already made what the
// mapping set says (the inside of a new mapping or of a move's target) are
// not rebuilt. A shared
// page that could only be held in a copy (its file offset not congruent to
// its address modulo H, or a host page shared with another mapping's pages)
// cannot be made: its stores could not reach the file, so the mmap, mremap
// or shmat asking for it fails with EINVAL. A private file mapping at an
// incongruent offset is an anonymous copy throughout: it does not see
// writes to the file made after it was read. Only a caller's fixed address
// can ask for either: the address choice (findfree.go) gives shared and
// private file mappings, and anonymous ones of whole host pages, host
// pages of their own at an address congruent to their offset, and never
// puts another mapping in a shared mapping's host pages.
//
// The host protection of a mixed host page is the most restrictive of its
// guest pages' (an unmapped guest page, or a copied file page wholly past
// end of file, counting as PROT_NONE), so the host MMU still stops every
// access the guest may not make. An access the guest page allows but the
// host page does not faults on the host too; HandleFault then answers
// Fault.Emulate, and the CPU makes the access with LoadSlow, StoreSlow or
// FetchSlow. A mixed host page of private memory moves on its first such
// access into a slot of a memory file of the Space's own, which is mapped
// a second time outside the window; a shared file or memory-file page gets
// a view, its file page mapped again outside the window (slots.go). Slow
// accesses there are plain copies through that second mapping. Other
// private pages (a private file mapped directly) go through /proc/self/mem,
// which ignores protections, and stores to SysV shm pages through an alias
// of the segment made for each store. CopyIn and CopyOut fall back to the
// same paths. Only mixed host pages pay: a host page wholly inside one
// mapping has that mapping's own protection.
//
// # Bookkeeping
//
// One ordered set of mappings (vma.go) is the source of truth: an AVL tree
// keyed by start address, threaded with a doubly linked list, each node
// carrying the free gap below it and the largest gap in its subtree. Costs,
// with n mappings: lookup O(log n); map, unmap, protect O(log n + k) for k
// mappings touched, never proportional to pages; free-range search
// O(log n). Neighbours whose attributes are identical (protection, sharing,
// file and contiguous offset, flags, name) merge, so the guest's
// /proc/self/maps looks like Linux's; Linux can keep two anonymous
// neighbours apart where its anon_vma bookkeeping differs, which gemu
// never needs to.
//
// Shared anonymous mappings are backed by a memory file of their own
// (memfd), so that mremap can grow, move and duplicate them like any shared
// file mapping; /proc/self/maps shows them as "/dev/zero (deleted)" as
// Linux does. File mappings keep a duplicate of the guest's descriptor,
// shared by all mappings of the same file and access mode.
//
// # Errors
//
// Every operation checks its arguments in the order Linux does and returns
// the errno Linux returns; the tables above each operation list the cases.
// Host operations happen before bookkeeping changes, so a host refusal
// leaves the space as it was. File mappings are first made by the host at
// an address of its choosing and then moved into the window with one
// mremap, so every check the host kernel makes on the file happens before
// the window is touched.
//
// # Locking
//
// mu (the mmap lock) is held for writing by every operation that changes
// mappings and for reading by lookups, access checks and copies. Methods
// whose names end in Locked expect it held for writing. The invalidation
// callbacks (OnInvalidate) run after mu is released, with the ranges that
// changed. cbMu guards the callback list only and is never held with mu.
//
// # CPU hooks
//
// HandleFault's Emulate answer (with G < H, or for an instruction fetch
// from an execute-only page) asks the CPU to make the access itself with
// LoadSlow, StoreSlow or FetchSlow, and an atomic read-modify-write (AMO,
// store-conditional) with UpdateSlow, which holds mu for writing across
// the read and the write: no direct host store can reach such a page, so
// that makes it atomic. HostAllows tells a system-call layer whether the
// host may use a Slice of guest memory directly or must go through a copy.
//
// ProtectCode write-protects on the host the pages whose code a CPU caches;
// a guest store there faults, and HandleFault or ResolveCodeWrite drops the
// protection and fires the invalidation callback, so the CPU drops its
// cached code and retries the store. HandleFault also grows grows-down
// mappings (stacks) on a fault just below them.
//
// # Kernel version
//
// The rules followed are those of Linux 6.18: mremap may move several
// mappings at once when moving without resizing (6.17+), anonymous
// mappings whose length is a multiple of the PMD size are PMD-aligned
// (6.8+), MAP_STACK implies no huge pages (6.7+).
package guestmem
