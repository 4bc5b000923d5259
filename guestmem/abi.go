package guestmem

// Guest ABI constants. These are the values a riscv64 (asm-generic) Linux
// guest passes to the memory system calls. They are defined here, not taken
// from golang.org/x/sys/unix, because unix describes the host: on an arm64 or
// ppc64 host some of these values differ.
const (
	ProtNone      = 0x0
	ProtRead      = 0x1
	ProtWrite     = 0x2
	ProtExec      = 0x4
	ProtGrowsDown = 0x01000000
	ProtGrowsUp   = 0x02000000

	MapShared         = 0x01
	MapPrivate        = 0x02
	MapSharedValidate = 0x03
	MapTypeMask       = 0x0f
	MapFixed          = 0x10
	MapAnonymous      = 0x20
	MapGrowsDown      = 0x0100
	MapDenyWrite      = 0x0800
	MapExecutable     = 0x1000
	MapLocked         = 0x2000
	MapNoReserve      = 0x4000
	MapPopulate       = 0x8000
	MapNonBlock       = 0x10000
	MapStack          = 0x20000
	MapHugeTLB        = 0x40000
	MapSync           = 0x80000
	MapFixedNoReplace = 0x100000
	MapUninitialized  = 0x4000000

	MremapMayMove   = 1
	MremapFixed     = 2
	MremapDontUnmap = 4

	MsAsync      = 1
	MsInvalidate = 2
	MsSync       = 4

	MadvNormal         = 0
	MadvRandom         = 1
	MadvSequential     = 2
	MadvWillNeed       = 3
	MadvDontNeed       = 4
	MadvFree           = 8
	MadvRemove         = 9
	MadvDontFork       = 10
	MadvDoFork         = 11
	MadvMergeable      = 12
	MadvUnmergeable    = 13
	MadvHugePage       = 14
	MadvNoHugePage     = 15
	MadvDontDump       = 16
	MadvDoDump         = 17
	MadvWipeOnFork     = 18
	MadvKeepOnFork     = 19
	MadvCold           = 20
	MadvPageOut        = 21
	MadvPopulateRead   = 22
	MadvPopulateWrite  = 23
	MadvDontNeedLocked = 24
	MadvCollapse       = 25
	MadvHWPoison       = 100
	MadvSoftOffline    = 101

	MlockOnFault = 1

	MclCurrent = 1
	MclFuture  = 2
	MclOnFault = 4
)

// Signal numbers and si_code values reported by ClassifyFault (generic Linux
// values, the same on riscv64 and x86_64).
const (
	SIGBUS  = 7
	SIGSEGV = 11

	SegvMapErr = 1 // SEGV_MAPERR: no mapping at the address.
	SegvAccErr = 2 // SEGV_ACCERR: mapped, but the access is not permitted.
	BusAdrErr  = 2 // BUS_ADRERR: nonexistent physical address (past end of file).
)
