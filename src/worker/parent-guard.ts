/**
 * A supervised worker must never outlive its supervisor. If the server dies hard (SIGKILL, the OOM
 * killer) a worker that went on would be an orphan: unsupervised, invisible to the admin view,
 * holding its engines and still claiming tasks. So the worker watches its parent from its first
 * instruction: this module has no imports and is the first one `cli/main.ts` evaluates, before the
 * rest of the CLI, the store or any engine is loaded.
 *
 * Two signals, because either alone has a gap: the IPC channel's `disconnect` (immediate, but only
 * seen once a listener exists and only while the channel is up) and the parent pid changing (a
 * backstop, checked at install and then every second: re-parenting to init or a subreaper is what
 * the kernel does when the parent dies, whatever the moment).
 */

/** Set by the supervisor in the child's environment: the pid the worker must stay the child of. */
export const SUPERVISOR_PID_ENV = 'EARSHOT_SUPERVISOR_PID';

const CHECK_EVERY_MS = 1000;
/** After the parent is gone the worker gets this long to give its task back, then it exits regardless. */
const EXIT_DEADLINE_MS = 10_000;

type OnGone = () => Promise<void>;

let handler: OnGone | null = null;
let gone = false;

function parentGone(): void {
  if (gone) return;
  gone = true;
  if (handler === null) {
    // Still starting: nothing claimed, nothing to give back. Engine processes started so far die with
    // this process (PR_SET_PDEATHSIG in earshot-ps-server; in-process engines have nothing to stop).
    process.exit(0);
  }
  const deadline = setTimeout(() => process.exit(1), EXIT_DEADLINE_MS);
  deadline.unref();
  handler().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}

function install(expectedPid: number): void {
  if (process.ppid !== expectedPid || !process.connected) {
    parentGone();
    return;
  }
  process.once('disconnect', parentGone);
  const timer = setInterval(() => {
    if (process.ppid !== expectedPid) parentGone();
  }, CHECK_EVERY_MS);
  timer.unref();
}

/**
 * Once the worker runs, its parent's death stops it gracefully: `onGone` gives the current task back
 * (the exit follows when it settles, or after a deadline). Before this is called the worker just exits.
 * A no-op for a worker without a supervisor (`earshot worker` started by hand or by systemd).
 */
export function onParentGone(onGone: OnGone): void {
  handler = onGone;
}

/** Whether this process is a supervised worker whose parent is already gone (then it is exiting). */
export function isParentGone(): boolean {
  return gone;
}

const expected = Number(process.env[SUPERVISOR_PID_ENV]);
if (Number.isInteger(expected) && expected > 0) install(expected);
