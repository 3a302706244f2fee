// Preloaded with `NODE_OPTIONS=--import <this file>` by `npm run bench -- --cpu-prof` (Node
// refuses --cpu-prof itself in NODE_OPTIONS): samples this process with the inspector's
// profiler and writes CPU.<date>.<pid>.cpuprofile into BENCH_CPU_PROF_DIR when the process
// exits normally (the services and reference servers exit on SIGTERM after their shutdown).
import inspector from 'node:inspector';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.once('exit', () => {
    // An in-process session answers synchronously, so this completes before the exit.
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '.').slice(0, 15);
      fs.writeFileSync(path.join(dir, `CPU.${stamp}.${process.pid}.0.001.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
