// meetbot plugin-kit: finding things in a meeting page the way a person would, by visible text,
// role and accessible name, aria-label or placeholder, a button inside a dialog, or a CSS selector
// (for attributes such as data-tid). Evaluated as a function expression: (request) => Promise<result>.
//
// request = { op, probes, timeoutMs, countProbes, lastCount, toggle }
//   op "wait":        resolves with the index of the first probe present (watching DOM mutations),
//                     or -1 at the timeout.
//   op "watch":       like wait, but also resolves when the number read from countProbes differs
//                     from lastCount: {matched, count}.
//   op "locate":      the centre of the first present probe's element (with toggle: of the switch
//                     inside it), scrolled into view: {x, y} or null.
//   op "focus":       focuses (and selects the content of) the first present probe's element: bool.
//   op "count":       the number the first of countProbes that shows one reads, or null.
//   op "gone":        resolves with true once none of the probes is present, false at the timeout.
//   op "switch":      the state of the first present probe's switch: {on: true|false|null} or null.
//   op "switchedOff": resolves with true once that switch no longer shows on, false at the timeout.
(request) => {
  const norm = (s) => (s || '')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/\u2026/g, '...')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();

  const visible = (el) => {
    if (!el || !el.isConnected) return false;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    // Design systems draw switches and checkboxes over a transparent native input: it is what
    // receives the click, so a form control counts even at opacity 0.
    return style.opacity !== '0' || el.tagName === 'INPUT';
  };

  const implicitRole = (el) => {
    const tag = el.tagName.toLowerCase();
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (tag === 'button') return 'button';
    if (tag === 'a' && el.hasAttribute('href')) return 'link';
    if (tag === 'textarea') return 'textbox';
    if (tag === 'input') {
      if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
      if (type === 'checkbox') return 'checkbox';
      if (type === 'radio') return 'radio';
      if (['', 'text', 'email', 'search', 'tel', 'url', 'password'].includes(type)) return 'textbox';
    }
    if (tag === 'dialog') return 'dialog';
    return '';
  };
  const role = (el) => (el.getAttribute('role') || implicitRole(el)).toLowerCase();

  const accessibleName = (el) => {
    const labelled = el.getAttribute('aria-labelledby');
    if (labelled) {
      const text = labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ');
      if (norm(text)) return text;
    }
    const aria = el.getAttribute('aria-label');
    if (aria && norm(aria)) return aria;
    if (el.id) {
      const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label && norm(label.textContent)) return label.textContent;
    }
    const wrapping = el.closest('label');
    if (wrapping && norm(wrapping.textContent)) return wrapping.textContent;
    if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') {
      return el.getAttribute('placeholder') || el.getAttribute('title') || el.value || '';
    }
    return el.innerText || el.textContent || el.getAttribute('title') || '';
  };

  const all = (selector) => Array.from(document.querySelectorAll(selector));

  // The deepest visible element whose rendered text contains the phrase (innerText skips hidden
  // text, so a phrase in a closed dialog does not count).
  const byText = (wanted) => {
    let el = document.body;
    if (!el || !norm(el.innerText).includes(wanted)) return null;
    descend: for (;;) {
      for (const child of el.children) {
        if (norm(child.innerText).includes(wanted)) { el = child; continue descend; }
      }
      return el;
    }
  };

  // Elements that can carry a role without saying so, per role.
  const IMPLICIT = {
    button: 'button,input',
    link: 'a[href]',
    textbox: 'input,textarea',
    checkbox: 'input',
    radio: 'input',
    dialog: 'dialog',
  };
  const withRole = (wanted, scope = document) => Array.from(scope.querySelectorAll(
    [`[role="${wanted}"]`, IMPLICIT[wanted]].filter(Boolean).join(','),
  )).filter((el) => role(el) === wanted);
  const named = (wanted) => (el) => visible(el) && norm(accessibleName(el)).includes(wanted);

  const DIALOGS = '[role="dialog"],[role="alertdialog"],dialog[open]';

  const find = (probe) => {
    const wanted = norm(probe.value);
    switch (probe.kind) {
      case 'css':
        return all(probe.value).find(visible) || null;
      case 'text':
        return byText(wanted);
      case 'role':
        return withRole(probe.role).find(named(wanted)) || null;
      case 'dialog':
        for (const dialog of all(DIALOGS).filter(visible)) {
          const button = withRole('button', dialog).find(named(wanted));
          if (button) return button;
        }
        return null;
      case 'label':
        return all('[aria-label],[placeholder],[title]').find((el) => visible(el) && [
          el.getAttribute('aria-label'), el.getAttribute('placeholder'), el.getAttribute('title'),
        ].some((v) => norm(v).includes(wanted))) || null;
      case 'url':
        return location.href.includes(probe.value) ? document.documentElement : null;
      default:
        return null;
    }
  };

  const firstPresent = (probes) => {
    for (let i = 0; i < probes.length; i += 1) {
      const el = find(probes[i]);
      if (el) return { index: i, el };
    }
    return null;
  };

  const numberIn = (s) => {
    const match = (s || '').match(/\d+/);
    return match ? Number(match[0]) : null;
  };
  // An element whose whole text is a number, e.g. "3" or "(3)".
  const badgeIn = (elements) => {
    for (const el of elements) {
      const text = (el.textContent || '').trim();
      if (/^\(?\d+\)?$/.test(text)) return numberIn(text);
    }
    return null;
  };
  // A count may sit in an attribute, the label, a badge inside the element (a label such as
  // "People" has no number), its text, or a badge drawn beside it: the first place wins.
  const countOf = (el) => numberIn(el.getAttribute('data-avatar-count'))
    ?? numberIn(el.getAttribute('aria-label'))
    ?? numberIn(el.getAttribute('title'))
    ?? badgeIn(el.querySelectorAll('*'))
    ?? numberIn(el.innerText || el.textContent)
    ?? (el.parentElement ? badgeIn(Array.from(el.parentElement.children).filter((c) => c !== el)) : null);
  const readCount = (probes) => {
    for (const probe of probes || []) {
      const el = find(probe);
      const count = el && countOf(el);
      if (count !== null && count !== undefined) return count;
    }
    return null;
  };

  // A switch: the element itself, or the checkbox / switch / toggle button inside it.
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
  const switchState = (probes) => {
    const hit = firstPresent(probes);
    return hit ? { on: stateOf(toggleOf(hit.el)) } : null;
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
    // Layout changes (visibility through CSS) do not always mutate the DOM.
    const ticker = setInterval(() => {
      const value = check();
      if (value !== undefined) finish(value);
    }, 250);
    const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
  });

  switch (request.op) {
    case 'wait':
      return observe(() => {
        const hit = firstPresent(request.probes);
        return hit ? hit.index : undefined;
      }, request.timeoutMs, () => -1);
    case 'watch':
      return observe(() => {
        const hit = firstPresent(request.probes);
        const count = readCount(request.countProbes);
        if (hit) return { matched: hit.index, count };
        if (count !== null && count !== request.lastCount) return { matched: -1, count };
        return undefined;
      }, request.timeoutMs, () => ({ matched: -1, count: readCount(request.countProbes) }));
    case 'locate': {
      const hit = firstPresent(request.probes);
      if (!hit) return null;
      const toggle = request.toggle ? toggleOf(hit.el) : hit.el;
      // A switch's input may have no box of its own (drawn by its label); then the element's.
      const el = toggle.getBoundingClientRect().width > 0 ? toggle : hit.el;
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const rect = el.getBoundingClientRect();
      return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
    }
    case 'focus': {
      const hit = firstPresent(request.probes);
      if (!hit) return false;
      hit.el.focus();
      if (typeof hit.el.select === 'function') hit.el.select();
      return document.activeElement === hit.el;
    }
    case 'count':
      return readCount(request.countProbes);
    case 'gone':
      return observe(() => (firstPresent(request.probes) ? undefined : true), request.timeoutMs, () => false);
    case 'switch':
      return switchState(request.probes);
    case 'switchedOff':
      return observe(() => (switchState(request.probes)?.on === true ? undefined : true), request.timeoutMs, () => false);
    default:
      return null;
  }
}
