// meetbot page frame budget (`recording.page_frame_rate`), run in the meeting page's MAIN world
// once its tab is recorded with the picture: the page's requestAnimationFrame callbacks then run at
// most `fps` times a second instead of at the compositor's 60 Hz. A meeting client that draws its
// tiles from animation frames (a canvas, WebGL) then draws, and Chromium composites, only the
// frames the recording can use (it captures 15 a second); measured on a canvas meeting page, that
// halves what a recorded call costs (docs/NOTES.md). Pages that show `<video>` elements or CSS
// animations are not slowed by it.
//
// It has to be in the main world (the page's own requestAnimationFrame), so the page can see it:
// the two functions are Proxies of the browser's own (same name and length, but their source text
// reads `function () { [native code] }` without the name). That is why it is opt-in.
//
// What the page gets is still requestAnimationFrame as specified: every callback requested before
// a frame runs in that frame with its timestamp, in order, each exception reported as an uncaught
// one (the others still run), cancelAnimationFrame works on every id, and ids the browser gave out
// before the budget still reach the browser. Callbacks wait for the next frame at least 1000/fps
// ms after the last one that ran; the wait is a timer, so the page's main thread does not wake at
// 60 Hz to do nothing.
// Evaluated as a function: (fps) => string.
(fps) => {
  const apply = Reflect.apply;
  const request = window.requestAnimationFrame;
  const cancel = window.cancelAnimationFrame;
  const timer = window.setTimeout;
  const report = window.reportError;
  const clock = performance.now.bind(performance);
  const every = 1000 / fps;
  // A frame lands on a 60 Hz tick: one up to this much early still counts as on time.
  const slack = 2;
  // The browser's own ids count up from 1; these stay clear of them.
  let nextId = 2 ** 30;
  let waiting = new Map();
  let last = -Infinity;
  let asked = false;

  const frame = (now) => {
    asked = false;
    if (waiting.size === 0) return;
    if (now - last < every - slack) {
      ask();
      return;
    }
    last = now;
    const due = waiting;
    waiting = new Map();
    for (const callback of due.values()) {
      try {
        apply(callback, window, [now]);
      } catch (error) {
        apply(report, window, [error]);
      }
    }
  };
  // Asks for the frame of the next slot: a timer sleeps through most of the wait.
  const ask = () => {
    if (asked) return;
    asked = true;
    const wait = every - (clock() - last) - 17;
    if (wait > 4) apply(timer, window, [() => apply(request, window, [frame]), wait]);
    else apply(request, window, [frame]);
  };

  const budgeted = new Proxy(request, {
    apply(native, self, args) {
      // Anything but a function gets the browser's own TypeError.
      if (typeof args[0] !== 'function') return apply(native, self, args);
      const id = nextId++;
      waiting.set(id, args[0]);
      ask();
      return id;
    },
  });
  const cancelling = new Proxy(cancel, {
    apply(native, self, args) {
      if (typeof args[0] === 'number' && waiting.delete(args[0])) return undefined;
      return apply(native, self, args);
    },
  });
  // A page that made them read-only keeps its own (the assignments fail silently). The cancel goes
  // first: alone, it passes every id to the browser.
  window.cancelAnimationFrame = cancelling;
  if (window.cancelAnimationFrame === cancelling) window.requestAnimationFrame = budgeted;
  if (window.requestAnimationFrame !== budgeted) throw new Error('the page keeps its own animation frames');
  return `page animation frames limited to ${fps} a second`;
}
