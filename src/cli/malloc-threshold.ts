/**
 * Raises glibc malloc's thresholds at start-up, before any work.
 *
 * glibc gives memory back to the system whenever more than its trim threshold (128 KiB at first) lies free at
 * the top of its heap, and gives each block of 128 KiB or more a mapping of its own, unmapped when freed: pages
 * that the next allocation must fault in again. V8's optimising compiler takes and frees megabytes for each
 * function it compiles, so a run kept paying for the same pages (a page fault cost 14-16 us on one of the
 * virtual machines measured, about 2 us on another). glibc raises both thresholds itself the first time it
 * frees a block it had mapped on its own (to the block's size, and twice that); this 8 MiB buffer, dropped at
 * once and never written (so never faulted in), makes that happen at V8's first young-generation collection,
 * within the first milliseconds of loading code. 50,000 messages through `verify --jobs 1` took 21,000 page
 * faults before, 13,700 after; with --jobs 2, 52,000 and 40,000.
 * The heap may keep up to 16 MiB more than before. Elsewhere (musl, macOS, Windows) this is one allocation.
 */
Buffer.allocUnsafeSlow(8 * 1024 * 1024);
