// meetbot microsoft plugin: page-side helpers the kit's dom.js lacks (candidates for the kit).
// Evaluated as a function expression: (request) => Promise<result>.
//
// A "target" is { selectors: [css...], labels: [text...], roles: css } : elements matching any
// selector, or elements matching `roles` whose accessible name contains a label. Unlike dom.js,
// an element with opacity 0 counts as present: Fluent UI switches are a visually hidden native
// checkbox laid over the drawn track, and that invisible input is what a click lands on.
//
// request.op:
//   "count":      the number a target shows: in its aria-label or title, else in a badge inside
//                 it (an element whose text is just a number), else in its text, else in a badge
//                 beside it. null if none.
//   "watchCount": resolves with {count} once the count is readable and differs from
//                 request.last, or at request.timeoutMs with {count, timedOut: true}.
//   "switches":   for each of request.targets, null (absent) or {on, x, y}: the toggle's state
//                 (checked / aria-checked / aria-pressed; null when it shows none) and where to
//                 click it. Waits up to request.timeoutMs until every target is present
//                 (until = "found") or none is on (until = "off").
//   "dialogButton": the centre {x, y} of a button inside an open dialog whose accessible name
//                 contains one of request.labels (earlier labels first), or null.
//   "absent":     resolves true once none of request.texts is visible text of the page, false
//                 at request.timeoutMs.
(request) => {
  const norm = (s) => (s || '')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/\u2026/g, '...')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();

  const shown = (el) => {
    if (!el || !el.isConnected) return false;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none';
  };

  const nameOf = (el) => {
    const labelled = el.getAttribute('aria-labelledby');
    const parts = [el.getAttribute('aria-label'), el.getAttribute('title'), el.getAttribute('placeholder')];
    if (labelled) {
      parts.push(labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' '));
    }
    if (el.id) parts.push(document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent);
    parts.push(el.innerText || el.textContent);
    return parts.filter(Boolean).join(' ');
  };

  const find = (target) => {
    const out = [];
    for (const selector of target.selectors || []) {
      for (const el of document.querySelectorAll(selector)) {
        if (shown(el) && !out.includes(el)) out.push(el);
      }
    }
    const labels = (target.labels || []).map(norm).filter(Boolean);
    if (labels.length && target.roles) {
      for (const el of document.querySelectorAll(target.roles)) {
        if (out.includes(el) || !shown(el)) continue;
        const name = norm(nameOf(el));
        if (labels.some((label) => name.includes(label))) out.push(el);
      }
    }
    return out;
  };

  const numberIn = (s) => {
    const match = (s || '').match(/\d+/);
    return match ? Number(match[0]) : null;
  };

  const badgeIn = (elements) => {
    for (const el of elements) {
      const text = (el.textContent || '').trim();
      if (/^\(?\d+\)?$/.test(text)) return numberIn(text);
    }
    return null;
  };

  const countOf = (el) => {
    const labelled = numberIn(el.getAttribute('aria-label')) ?? numberIn(el.getAttribute('title'));
    if (labelled !== null) return labelled;
    const inside = badgeIn(el.querySelectorAll('*')) ?? numberIn(el.innerText || el.textContent);
    if (inside !== null) return inside;
    // A badge drawn next to the button rather than inside it.
    return el.parentElement ? badgeIn(Array.from(el.parentElement.children).filter((c) => c !== el)) : null;
  };

  const readCount = (target) => {
    for (const el of find(target)) {
      const n = countOf(el);
      if (n !== null) return n;
    }
    return null;
  };

  const TOGGLE = 'input[type="checkbox"],[role="switch"],[role="checkbox"],[aria-checked],[aria-pressed]';
  const toggleOf = (el) => (el.matches(TOGGLE) ? el : el.querySelector(TOGGLE) || el);
  const stateOf = (el) => {
    if (el.tagName === 'INPUT' && el.type === 'checkbox') return el.checked;
    for (const attr of ['aria-checked', 'aria-pressed']) {
      const value = el.getAttribute(attr);
      if (value !== null) return value === 'true';
    }
    return null;
  };
  const switchOf = (target, locate) => {
    const el = find(target)[0];
    if (!el) return null;
    const toggle = toggleOf(el);
    let box = toggle.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) box = el.getBoundingClientRect();
    if (locate) {
      (shown(toggle) ? toggle : el).scrollIntoView({ block: 'center', inline: 'center' });
      box = (shown(toggle) ? toggle : el).getBoundingClientRect();
    }
    return { on: stateOf(toggle), x: box.left + box.width / 2, y: box.top + box.height / 2 };
  };

  const dialogButton = (labels) => {
    const dialogs = Array.from(document.querySelectorAll('[role="dialog"],[role="alertdialog"],dialog[open]')).filter(shown);
    for (const label of labels.map(norm)) {
      for (const dialog of dialogs) {
        for (const el of dialog.querySelectorAll('button,[role="button"]')) {
          if (shown(el) && norm(nameOf(el)).includes(label)) {
            el.scrollIntoView({ block: 'center', inline: 'center' });
            const box = el.getBoundingClientRect();
            return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
          }
        }
      }
    }
    return null;
  };

  const anyText = (texts) => {
    const body = norm(document.body ? document.body.innerText : '');
    return texts.some((t) => body.includes(norm(t)));
  };

  const observe = (check, timeoutMs, onTimeout) => new Promise((resolve) => {
    const first = check();
    if (first !== undefined) { resolve(first); return; }
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      observer.disconnect();
      clearTimeout(timer);
      clearInterval(ticker);
      resolve(value);
    };
    const observer = new MutationObserver(() => {
      const value = check();
      if (value !== undefined) finish(value);
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    const ticker = setInterval(() => {
      const value = check();
      if (value !== undefined) finish(value);
    }, 250);
    const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
  });

  switch (request.op) {
    case 'count':
      return readCount(request.target);
    case 'watchCount':
      return observe(() => {
        const count = readCount(request.target);
        return count !== null && count !== request.last ? { count } : undefined;
      }, request.timeoutMs, () => ({ count: readCount(request.target), timedOut: true }));
    case 'switches': {
      const read = (locate) => request.targets.map((t) => switchOf(t, locate));
      return observe(() => {
        const states = read(false);
        const met = request.until === 'off'
          ? states.every((s) => s === null || s.on !== true)
          : states.every((s) => s !== null);
        return met ? read(true) : undefined;
      }, request.timeoutMs, () => read(true));
    }
    case 'dialogButton':
      return dialogButton(request.labels);
    case 'absent':
      return observe(() => (anyText(request.texts) ? undefined : true), request.timeoutMs, () => false);
    default:
      return null;
  }
}
