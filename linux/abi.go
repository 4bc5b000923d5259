package linux

// riscv64 Linux system call numbers (the asm-generic table).
const (
	sysGetcwd            = 17
	sysEventfd2          = 19
	sysEpollCreate1      = 20
	sysEpollCtl          = 21
	sysEpollPwait        = 22
	sysInotifyInit1      = 26
	sysInotifyAddWatch   = 27
	sysInotifyRmWatch    = 28
	sysMknodat           = 33
	sysDup               = 23
	sysDup3              = 24
	sysFcntl             = 25
	sysIoctl             = 29
	sysFlock             = 32
	sysMkdirat           = 34
	sysUnlinkat          = 35
	sysSymlinkat         = 36
	sysLinkat            = 37
	sysStatfs            = 43
	sysFstatfs           = 44
	sysTruncate          = 45
	sysFtruncate         = 46
	sysFallocate         = 47
	sysFaccessat         = 48
	sysChdir             = 49
	sysFchdir            = 50
	sysFchmod            = 52
	sysFchmodat          = 53
	sysFchownat          = 54
	sysFchown            = 55
	sysOpenat            = 56
	sysClose             = 57
	sysPipe2             = 59
	sysGetdents64        = 61
	sysLseek             = 62
	sysRead              = 63
	sysWrite             = 64
	sysReadv             = 65
	sysWritev            = 66
	sysPread64           = 67
	sysPwrite64          = 68
	sysPreadv            = 69
	sysPwritev           = 70
	sysSendfile          = 71
	sysPselect6          = 72
	sysPpoll             = 73
	sysSplice            = 76
	sysTee               = 77
	sysReadlinkat        = 78
	sysNewfstatat        = 79
	sysFstat             = 80
	sysSync              = 81
	sysFsync             = 82
	sysFdatasync         = 83
	sysSyncFileRange     = 84
	sysTimerfdCreate     = 85
	sysTimerfdSettime    = 86
	sysTimerfdGettime    = 87
	sysUtimensat         = 88
	sysExit              = 93
	sysExitGroup         = 94
	sysWaitid            = 95
	sysPersonality       = 92
	sysSetTidAddress     = 96
	sysFutex             = 98
	sysSetRobustList     = 99
	sysGetRobustList     = 100
	sysNanosleep         = 101
	sysGetitimer         = 102
	sysSetitimer         = 103
	sysClockGettime      = 113
	sysClockGetres       = 114
	sysClockNanosleep    = 115
	sysSchedGetscheduler = 120
	sysSchedGetparam     = 121
	sysSchedSetaffinity  = 122
	sysSchedGetaffinity  = 123
	sysSchedYield        = 124
	sysSchedPriorityMax  = 125
	sysSchedPriorityMin  = 126
	sysKill              = 129
	sysTkill             = 130
	sysTgkill            = 131
	sysSigaltstack       = 132
	sysRtSigsuspend      = 133
	sysRtSigaction       = 134
	sysRtSigprocmask     = 135
	sysRtSigpending      = 136
	sysRtSigtimedwait    = 137
	sysRtSigreturn       = 139
	sysSetpriority       = 140
	sysGetpriority       = 141
	sysSetregid          = 143
	sysSetgid            = 144
	sysSetreuid          = 145
	sysSetuid            = 146
	sysSetresuid         = 147
	sysGetresuid         = 148
	sysSetresgid         = 149
	sysGetresgid         = 150
	sysSetpgid           = 154
	sysGetpgid           = 155
	sysGetsid            = 156
	sysSetsid            = 157
	sysTimes             = 153
	sysGetgroups         = 158
	sysUname             = 160
	sysGetrlimit         = 163
	sysSetrlimit         = 164
	sysGetrusage         = 165
	sysUmask             = 166
	sysPrctl             = 167
	sysGetcpu            = 168
	sysGettimeofday      = 169
	sysGetpid            = 172
	sysGetppid           = 173
	sysGetuid            = 174
	sysGeteuid           = 175
	sysGetgid            = 176
	sysGetegid           = 177
	sysGettid            = 178
	sysSysinfo           = 179
	sysShmget            = 194
	sysShmctl            = 195
	sysShmat             = 196
	sysShmdt             = 197
	sysSocket            = 198
	sysSocketpair        = 199
	sysBind              = 200
	sysListen            = 201
	sysAccept            = 202
	sysConnect           = 203
	sysGetsockname       = 204
	sysGetpeername       = 205
	sysSendto            = 206
	sysRecvfrom          = 207
	sysSetsockopt        = 208
	sysGetsockopt        = 209
	sysShutdown          = 210
	sysSendmsg           = 211
	sysRecvmsg           = 212
	sysBrk               = 214
	sysMunmap            = 215
	sysMremap            = 216
	sysClone             = 220
	sysExecve            = 221
	sysMmap              = 222
	sysFadvise64         = 223
	sysMprotect          = 226
	sysMsync             = 227
	sysMlock             = 228
	sysMunlock           = 229
	sysMlockall          = 230
	sysMunlockall        = 231
	sysMincore           = 232
	sysMadvise           = 233
	sysAccept4           = 242
	sysWait4             = 260
	sysPrlimit64         = 261
	sysRiscvHwprobe      = 258
	sysRiscvFlushIcache  = 259
	sysRenameat2         = 276
	sysGetrandom         = 278
	sysMemfdCreate       = 279
	sysMembarrier        = 283
	sysMlock2            = 284
	sysCopyFileRange     = 285
	sysStatx             = 291
	sysRseq              = 293
	sysClone3            = 435
	sysCloseRange        = 436
	sysFaccessat2        = 439
	sysEpollPwait2       = 441
)

// Guest errno values are the generic Linux ones, the same numbers as the
// host's unix.Errno on every host gemu supports; see doc.go.

// Auxiliary vector keys.
const (
	atNull   = 0
	atPhdr   = 3
	atPhent  = 4
	atPhnum  = 5
	atPagesz = 6
	atBase   = 7
	atFlags  = 8
	atEntry  = 9
	atUID    = 11
	atEUID   = 12
	atGID    = 13
	atEGID   = 14
	atHwcap  = 16
	atClktck = 17
	atSecure = 23
	atRandom = 25
	atExecfn = 31
)

// hwcapRV64GC is AT_HWCAP for an RV64IMAFDC CPU: one bit per single-letter
// extension, bit ('x' - 'a').
const hwcapRV64GC = 1<<('i'-'a') | 1<<('m'-'a') | 1<<('a'-'a') | 1<<('f'-'a') | 1<<('d'-'a') | 1<<('c'-'a')

// riscv64 open(2) flags (asm-generic). They are translated to the host's
// values in openFlags.
const (
	oAccMode   = 0x3
	oCreat     = 0o100
	oExcl      = 0o200
	oNoctty    = 0o400
	oTrunc     = 0o1000
	oAppend    = 0o2000
	oNonblock  = 0o4000
	oDsync     = 0o10000
	oAsync     = 0o20000
	oDirect    = 0o40000
	oLargefile = 0o100000
	oDirectory = 0o200000
	oNofollow  = 0o400000
	oNoatime   = 0o1000000
	oCloexec   = 0o2000000
	oSync      = 0o4010000
	oPath      = 0o10000000
	oTmpfile   = 0o20200000
)

const atFdcwd = -100

// Signal numbers (riscv64 uses the generic ones).
const (
	sigHUP     = 1
	sigINT     = 2
	sigQUIT    = 3
	sigILL     = 4
	sigTRAP    = 5
	sigABRT    = 6
	sigBUS     = 7
	sigFPE     = 8
	sigKILL    = 9
	sigUSR1    = 10
	sigSEGV    = 11
	sigUSR2    = 12
	sigPIPE    = 13
	sigALRM    = 14
	sigTERM    = 15
	sigSTKFLT  = 16
	sigCHLD    = 17
	sigCONT    = 18
	sigSTOP    = 19
	sigTSTP    = 20
	sigTTIN    = 21
	sigTTOU    = 22
	sigURG     = 23
	sigXCPU    = 24
	sigXFSZ    = 25
	sigVTALRM  = 26
	sigPROF    = 27
	sigWINCH   = 28
	sigIO      = 29
	sigPWR     = 30
	sigSYS     = 31
	numSignals = 64
)

// sigaction flags.
const (
	saNocldstop = 0x1
	saNocldwait = 0x2
	saSiginfo   = 0x4
	saOnstack   = 0x08000000
	saRestart   = 0x10000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000
)

const (
	sigDFL = 0
	sigIGN = 1
)

// si_code values.
const (
	siUser     = 0
	siTkill    = -6
	ileIllopc  = 1
	trapBrkpt  = 1
	busAdraln  = 1
	segvMaperr = 1
	segvAccerr = 2
	busAdrerr  = 2
)

// sigaltstack flags.
const (
	ssOnstack = 1
	ssDisable = 2
)

// Layout of the riscv64 signal frame (struct rt_sigframe): siginfo, then
// the ucontext at 128; in the ucontext, uc_flags at 0, uc_link at 8,
// uc_stack (ss_sp, ss_flags, ss_size) at 16, uc_sigmask at 40, and
// uc_mcontext at 176: 32 general registers (slot 0 is the pc), then 32
// 64-bit FP registers and fcsr (the Q-extension layout, 528 bytes).
const (
	siginfoSize      = 128
	ucontextOffset   = siginfoSize
	ucStackOffset    = 16
	ucSigmaskOffset  = 40
	ucMcontextOffset = 176
	mcFPOffset       = 256
	mcFcsrOffset     = mcFPOffset + 32*8
	ucontextSize     = 960
	rtSigframeSize   = siginfoSize + ucontextSize
	minSigstksz      = 2048
)

// riscv64 struct stat (asm-generic): 128 bytes.
const statSize = 128

// Resource limit numbers.
const (
	rlimitStack  = 3
	rlimitNofile = 7
)
