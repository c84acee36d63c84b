//! The machine's cost of waking a sleeping thread: two threads hand one byte back and forth over
//! a socket pair, as `perf bench sched pipe` does, once on two cores and once on one. Every
//! figure these benches print is a chain of such hand-offs (worker ↔ Redis, host ↔ plugin,
//! Chromium's processes), so it is printed next to them: on a VM whose idle cores halt, a
//! wake-up across cores costs tens of µs where one on the same core costs one or two, and the
//! benches' ratios move with it from machine to machine.

use std::{
    io::{Read, Write},
    os::unix::net::UnixStream,
    thread,
    time::Instant,
};

/// Round trips per measurement: long enough to average out the scheduler's noise, short enough
/// (about a second at 50 µs) not to slow the bench.
const ROUND_TRIPS: u32 = 20_000;

/// Mean round trip (two wake-ups) in µs between two threads, each pinned to `cores` (one entry:
/// both on that core; two: one on each); `None` when the machine has fewer cores than asked.
/// The calling thread gets its own affinity back (children it starts later inherit it).
pub fn round_trip_us(cores: [usize; 2]) -> Option<f64> {
    let online = thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if cores.iter().any(|&core| core >= online) {
        return None;
    }
    let (mut near, mut far) = UnixStream::pair().expect("socket pair");
    let echo = thread::spawn(move || {
        set_affinity(&pinned(cores[1]));
        let mut byte = [0u8; 1];
        while far.read_exact(&mut byte).is_ok() {
            if far.write_all(&byte).is_err() {
                break;
            }
        }
    });
    let own = affinity();
    set_affinity(&pinned(cores[0]));
    let mut byte = [0u8; 1];
    let started = Instant::now();
    for _ in 0..ROUND_TRIPS {
        near.write_all(&byte).expect("ping");
        near.read_exact(&mut byte).expect("pong");
    }
    let elapsed = started.elapsed();
    drop(near);
    echo.join().expect("echo thread");
    set_affinity(&own);
    Some(elapsed.as_secs_f64() * 1e6 / f64::from(ROUND_TRIPS))
}

/// One line for a bench's header: the round trip across two cores and on one.
pub fn summary() -> String {
    let across = round_trip_us([0, 1]).map_or("-".to_owned(), |us| format!("{us:.1} µs"));
    let same = round_trip_us([0, 0]).map_or("-".to_owned(), |us| format!("{us:.1} µs"));
    format!("thread wake-up round trip (two wake-ups): across cores {across}, on one core {same}")
}

// The workspace denies unsafe code; these libc calls are allowed one by one. A zeroed cpu_set_t
// is a valid empty set, and pid 0 is the calling thread: nothing else is read or changed.

fn pinned(core: usize) -> libc::cpu_set_t {
    #[allow(unsafe_code)]
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        set
    }
}

fn affinity() -> libc::cpu_set_t {
    #[allow(unsafe_code)]
    let (got, set) = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set), set)
    };
    assert_eq!(got, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
    set
}

fn set_affinity(set: &libc::cpu_set_t) {
    #[allow(unsafe_code)]
    let done = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) };
    assert_eq!(done, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());
}
