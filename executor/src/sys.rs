//! The few syscalls rustix does not wrap safely, each in a small function.
//! Everything here runs in a single-threaded process (the re-executed init,
//! or strata's main entering the rootless namespace before it starts any
//! thread, see rootless.rs) unless said otherwise.

use std::io;

use rustix::thread::UnshareFlags;

pub enum Forked {
    Parent(rustix::process::Pid),
    Child,
}

/// `fork()`. Only called from the sandbox init, which never starts threads,
/// and from [`crate::rootless::enter`], which checks it runs on the only
/// thread.
pub fn fork() -> io::Result<Forked> {
    // SAFETY: the calling process is single-threaded, so the child cannot
    // inherit a lock held by another thread; it only runs our own code.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => rustix::process::Pid::from_raw(pid)
            .map(Forked::Parent)
            .ok_or_else(|| io::Error::other("fork returned an invalid pid")),
    }
}

/// `unshare(flags)` for the calling (only) thread.
pub fn unshare(flags: UnshareFlags) -> io::Result<()> {
    // SAFETY: the callers are single-threaded (the init; rootless::enter
    // checks it) and never pass FILES, so no thread can observe a file
    // descriptor table it does not share.
    unsafe { rustix::thread::unshare_unsafe(flags) }.map_err(io::Error::from)
}

/// The signals the init forwards or handles; SIGKILL and SIGSTOP cannot be
/// caught and the synchronous fault signals must stay deliverable.
fn forwardable() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigfillset/sigdelset initialize it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        for sig in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGABRT,
            libc::SIGTRAP,
        ] {
            libc::sigdelset(&mut set, sig);
        }
        set
    }
}

/// Blocks every forwardable signal so they queue for [`wait_signal`]. A
/// blocked signal is never discarded, even for a pid-1 without handlers.
pub fn block_signals() -> io::Result<()> {
    let set = forwardable();
    // SAFETY: `set` is initialized; the old mask is not needed.
    let rc = unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Unblocks everything and restores default dispositions, so the workload
/// starts with the signal state a fresh process expects.
pub fn reset_signals() -> io::Result<()> {
    // SAFETY: an empty set is valid; SIG_DFL is always a valid disposition
    // and no handler of ours is left installed.
    unsafe {
        for sig in 1..libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        if libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Waits up to `timeout_ms` for a blocked signal; `None` on timeout.
/// Safe to call from any thread that blocked the signals.
pub fn wait_signal(timeout_ms: u64) -> io::Result<Option<i32>> {
    let set = forwardable();
    let ts = libc::timespec {
        tv_sec: (timeout_ms / 1000) as libc::time_t,
        tv_nsec: ((timeout_ms % 1000) * 1_000_000) as libc::c_long,
    };
    // SAFETY: `set` and `ts` are initialized; siginfo is not requested.
    let sig = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &ts) };
    if sig >= 0 {
        return Ok(Some(sig));
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
        _ => Err(err),
    }
}

/// Blocks the given signals in the calling thread (and threads it starts
/// later), for callers that forward them with [`wait_signal`].
pub fn block_forwarded_signals() -> io::Result<()> {
    block_signals()
}

/// Brings the loopback interface up (a new network namespace starts with it
/// down).
pub fn loopback_up() -> io::Result<()> {
    let sock = rustix::net::socket(
        rustix::net::AddressFamily::INET,
        rustix::net::SocketType::DGRAM,
        None,
    )?;
    // SAFETY: ifreq is plain data; we fill the name and flags fields that
    // SIOCGIFFLAGS/SIOCSIFFLAGS read and write, and the socket fd is valid
    // for the duration of both calls.
    unsafe {
        use std::os::fd::AsRawFd;
        let mut req: libc::ifreq = std::mem::zeroed();
        for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) != 0 {
            return Err(io::Error::last_os_error());
        }
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes `fd` survive the exec of the init. Used in `pre_exec`, between
/// fork and exec of a possibly threaded parent: only an async-signal-safe
/// syscall runs there.
pub fn keep_across_exec(cmd: &mut std::process::Command, fd: std::os::fd::RawFd) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure makes a single fcntl syscall, which is
    // async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Takes ownership of the report pipe's fd, inherited across exec, and
/// makes it close-on-exec again: the workload must never hold it, or it
/// could forge its own exit status.
pub fn adopt_fd(raw: std::os::fd::RawFd) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // fcntl(F_GETFD) proves the fd is open before we claim it.
    // SAFETY: F_GETFD has no side effects and accepts any integer.
    if unsafe { libc::fcntl(raw, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the fd is open (checked above), was handed to this process
    // for it alone by the parent, and nothing else in the init owns it.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
    rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
    Ok(fd)
}

/// Marks every fd from `first` up close-on-exec, whoever opened it (the
/// caller's leaked pipes, ours): the workload starts with only its stdio.
/// Kept open until the exec, so a failed exec can still be reported.
pub fn cloexec_from(first: u32) -> io::Result<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on fds
    // of this (single-threaded) process; it closes nothing and touches no
    // memory.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    // Kernels before 5.11: walk /proc/self/fd instead.
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd: &i32| fd >= first as i32)
        .collect();
    for fd in fds {
        // SAFETY: F_SETFD on any integer is harmless; the directory's own fd
        // is already closed, so EBADF is the worst outcome, ignored.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(())
}

/// Loads a seccomp BPF program into the calling thread. This does not
/// set no_new_privs: loading without it needs CAP_SYS_ADMIN, which the
/// workload still holds here.
pub fn load_seccomp(program: &[crate::seccomp::Insn]) -> io::Result<()> {
    #[repr(C)]
    struct SockFprog {
        len: libc::c_ushort,
        filter: *const crate::seccomp::Insn,
    }
    let len = libc::c_ushort::try_from(program.len())
        .map_err(|_| io::Error::other("seccomp program too long"))?;
    let prog = SockFprog {
        len,
        filter: program.as_ptr(),
    };
    // SAFETY: `prog` points at `program`, which outlives the call; the
    // kernel copies the instructions and keeps no pointer to them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0 as libc::c_ulong,
            &prog as *const SockFprog,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Moves this process into the network namespace bound at `path`.
pub fn join_netns(path: &std::path::Path) -> io::Result<()> {
    let ns = std::fs::File::open(path)?;
    rustix::thread::move_into_link_name_space(
        std::os::fd::AsFd::as_fd(&ns),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .map_err(io::Error::from)
}

/// One eBPF instruction, laid out as the kernel's `struct bpf_insn`: the
/// destination register in the low nibble of `regs`, the source in the
/// high one.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpfInsn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;

/// The head of `union bpf_attr` for BPF_PROG_LOAD, up to
/// `expected_attach_type`; the kernel zero-fills what we do not pass.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// `union bpf_attr` for BPF_PROG_ATTACH, up to `replace_bpf_fd`.
#[repr(C)]
struct ProgAttachAttr {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
}

/// Loads `program` as a BPF_PROG_TYPE_CGROUP_DEVICE program. On a refusal
/// the error carries the verifier's log, which says which instruction it
/// rejected. This and the two below are safe from any thread.
pub fn load_device_program(program: &[BpfInsn]) -> io::Result<std::os::fd::OwnedFd> {
    let license = c"Apache-2.0";
    let load = |log: &mut [u8]| {
        let attr = ProgLoadAttr {
            prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
            insn_cnt: u32::try_from(program.len()).map_err(io::Error::other)?,
            insns: program.as_ptr() as u64,
            license: license.as_ptr() as u64,
            log_level: u32::from(!log.is_empty()),
            log_size: u32::try_from(log.len()).map_err(io::Error::other)?,
            // The kernel refuses a buffer without a log level, and an
            // empty slice's pointer is not null.
            log_buf: if log.is_empty() {
                0
            } else {
                log.as_mut_ptr() as u64
            },
            ..ProgLoadAttr::default()
        };
        // SAFETY: `attr` is a valid bpf_attr head of the size passed; the
        // instructions, the license and the log buffer it points at outlive
        // the call, and the log's size is its real length. The kernel
        // writes only into the log buffer.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                BPF_PROG_LOAD,
                &attr as *const ProgLoadAttr,
                std::mem::size_of::<ProgLoadAttr>(),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = std::os::fd::RawFd::try_from(fd).map_err(io::Error::other)?;
        // SAFETY: the kernel just returned this fd to us, and nothing else
        // owns it.
        Ok(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
    };
    load(&mut []).or_else(|first| {
        let mut log = vec![0u8; 1 << 16];
        load(&mut log).map_err(|_| {
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            let text = String::from_utf8_lossy(&log[..end]);
            io::Error::new(first.kind(), format!("{first}; verifier: {}", text.trim()))
        })
    })
}

/// Attaches a device program to the cgroup directory `cgroup` (an open
/// fd of it), without BPF_F_ALLOW_OVERRIDE or MULTI: it then governs every
/// descendant too, and none may attach a program of its own.
pub fn attach_device_program(
    program: &impl std::os::fd::AsRawFd,
    cgroup: &impl std::os::fd::AsRawFd,
) -> io::Result<()> {
    let fd = |f: std::os::fd::RawFd| u32::try_from(f).map_err(io::Error::other);
    let attr = ProgAttachAttr {
        target_fd: fd(cgroup.as_raw_fd())?,
        attach_bpf_fd: fd(program.as_raw_fd())?,
        attach_type: BPF_CGROUP_DEVICE,
        attach_flags: 0,
        replace_bpf_fd: 0,
    };
    // SAFETY: `attr` is a valid bpf_attr head of the size passed and only
    // read by the kernel; both fds are open for the call's duration.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_ATTACH,
            &attr as *const ProgAttachAttr,
            std::mem::size_of::<ProgAttachAttr>(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

const BPF_PROG_QUERY: libc::c_long = 16;

/// `union bpf_attr` for BPF_PROG_QUERY, up to `prog_cnt` (padded to the
/// u64 alignment the kernel's layout has).
#[repr(C)]
#[derive(Default)]
struct ProgQueryAttr {
    target_fd: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    pad: u32,
}

/// How many device programs are attached to the cgroup directory
/// `cgroup` itself (not inherited from its ancestors).
pub fn device_programs_attached(cgroup: &impl std::os::fd::AsRawFd) -> io::Result<u32> {
    let mut attr = ProgQueryAttr {
        target_fd: u32::try_from(cgroup.as_raw_fd()).map_err(io::Error::other)?,
        attach_type: BPF_CGROUP_DEVICE,
        ..ProgQueryAttr::default()
    };
    // SAFETY: `attr` is a valid, writable bpf_attr head of the size passed;
    // with no `prog_ids` buffer the kernel only writes `attach_flags` and
    // `prog_cnt` into it. The fd is open for the call's duration.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_QUERY,
            &mut attr as *mut ProgQueryAttr,
            std::mem::size_of::<ProgQueryAttr>(),
        )
    };
    if rc == 0 {
        Ok(attr.prog_cnt)
    } else {
        Err(io::Error::last_os_error())
    }
}
