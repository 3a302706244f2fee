// Preloaded with `NODE_OPTIONS=--import <this file>` by `npm run bench -- --cpu-prof` (Node
// refuses --cpu-prof itself in NODE_OPTIONS, and a whole-life profile would be mostly start-up):
// SIGUSR2 starts the inspector's sampling profiler, the next SIGUSR2 stops it and writes
// <label>.<pid>.cpuprofile into BENCH_CPU_PROF_DIR, where <label> is what the orchestrator
// wrote into BENCH_CPU_PROF_DIR/label (the measured window: a fixed-load window or the join storm).
import inspector from 'node:inspector';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      session.post('Profiler.start');
      running = true;
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      let label = 'window';
      try {
        label = fs.readFileSync(path.join(dir, 'label'), 'utf8').trim().replace(/[^\w@.-]+/g, '_');
      } catch {}
      fs.writeFileSync(path.join(dir, `${label}.${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
