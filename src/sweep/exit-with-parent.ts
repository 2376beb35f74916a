// Preloaded (`node --import`) into the `ctc train` children of `ctc sweep run` and `ctc worker`.
// When the parent dies without passing a signal on (kill -9, out of memory), the child is
// re-parented; it then stops itself as on SIGTERM (checkpoint, exit 143) rather than training on
// unsupervised and holding the run's lock while the queue hands the job to another worker.

const parent = process.ppid;
const POLL_MS = 1000;

const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  process.kill(process.pid, 'SIGTERM');
}, POLL_MS);
timer.unref(); // never keeps a finished child alive

export {}; // a module, not a script: its names stay its own
