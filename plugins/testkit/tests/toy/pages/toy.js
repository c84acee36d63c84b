// The toy platform's client. Each screen replaces the last, as a meeting app's routes do.
(() => {
  'use strict';
  const scenario = new URLSearchParams(location.search).get('scenario') || 'admit';
  const screen = document.getElementById('screen');

  const report = (kind, detail) => fetch('/__testkit/event', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind, detail: detail || '' }),
    keepalive: true,
  });

  const show = (html) => { screen.innerHTML = html; };

  const preJoin = () => {
    show(`<h1>Ready to join?</h1>
      <input aria-label="Your name" placeholder="Your name">
      <button id="ask">Ask to join</button>`);
    document.getElementById('ask').addEventListener('click', () => {
      const name = screen.querySelector('input').value;
      report('join_asked', name);
      lobby();
    });
  };

  const lobby = () => {
    show('<p>Waiting for the host to let you in</p>');
    setTimeout(scenario === 'denied' ? denied : inCall, 800);
  };

  const denied = () => show("<h1>You can't join this call</h1><p>Someone in the call denied your request.</p>");

  const inCall = () => {
    show(`<div role="toolbar">
        <div aria-label="Participants: 3">3 people</div>
        <button aria-label="Leave call">Leave</button>
      </div>`);
    screen.querySelector('button').addEventListener('click', () => {
      report('leave_clicked', '');
      show('<h1>You left the meeting</h1>');
    });
  };

  setTimeout(preJoin, 200);
})();
