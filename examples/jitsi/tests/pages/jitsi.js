// A fake Jitsi Meet web client, for the plugin's tests. It draws the screens the real client
// draws, with the real client's texts and aria-labels (jitsi-meet `lang/main.json`, the key next
// to each), and plays one scenario:
//
//   admitted   prejoin, then straight into a call of 3; stays until the bot hangs up
//   lobby      the knock screen ("Ask to Join"), the lobby, admitted after 2 s
//   denied     the knock screen, the lobby, rejected by a moderator after 2 s
//   ended      admitted, the meeting is terminated for everyone after 3 s
//   kicked     admitted, a moderator kicks the bot out after 3 s
//   alone      admitted into a call of 3, then 2 after 2 s, then 1 ("You are the only one")
//   moderator  admitted as a moderator: hanging up opens the menu ("Leave meeting")
//   password   the room is locked: "Password required" after the join click
//
// The scenario is `?scenario=<name>` when given, else the room name's first word
// (`https://meet.jit.si/kicked-7` plays `kicked`). What the bot does is reported to the test
// server: POST /__testkit/event {kind, detail} (name_typed is the join click's name, mic_off,
// camera_off, join_clicked, lobby, admitted, participants, denied, ended, kicked, leave_clicked,
// leave_confirmed, left, toolbar_hidden). Like the real client, the toolbar hides after 3 s
// without mouse movement unless the link says `#config.toolbarConfig.alwaysVisible=true`.
(() => {
  'use strict';

  const room = decodeURIComponent(location.pathname.replace(/^\/+|\/+$/g, '')) || 'room';
  const scenario = new URLSearchParams(location.search).get('scenario') || room.split('-')[0].toLowerCase();
  const toolbarAlwaysVisible = /config\.toolbarConfig\.alwaysVisible=true/.test(location.hash);
  const root = document.getElementById('react');
  const OTHERS = ['Moderator Mia', 'Sam Speaker'];

  // One report after the other (two fetches in flight at once may arrive in either order, and the
  // tests read the order); the promise resolves once this one has arrived. Screens that end the
  // session are shown only then: the bot returns, and its browser closes, as soon as it sees them.
  let reported = Promise.resolve();
  const report = (kind, detail = '') => {
    const body = JSON.stringify({ kind, detail: String(detail) });
    reported = reported.then(() =>
      fetch('/__testkit/event', { method: 'POST', body, keepalive: true }).catch(() => {}));
    return reported;
  };

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  };
  const show = (...nodes) => root.replaceChildren(...nodes);
  const later = (ms, fn) => setTimeout(fn, ms);

  // A toolbar button as Jitsi draws it: a div with role="button" and an aria-label.
  const toolButton = (label, glyph, onclick, extra = {}) =>
    el('div', { role: 'button', tabindex: '0', class: 'toolbox-button', 'aria-label': label, onclick, ...extra }, glyph);

  // The microphone and camera toggles, named by what a click does.
  const devices = { mic: true, camera: true };
  const micButton = () => {
    const button = toolButton('', '\u{1F3A4}', () => {
      devices.mic = !devices.mic;
      paint();
      if (!devices.mic) report('mic_off');
    });
    const paint = () => {
      button.setAttribute('aria-label', devices.mic ? 'Mute' : 'Unmute'); // toolbar.accessibilityLabel.mute / .unmute
      button.setAttribute('aria-pressed', String(!devices.mic));
    };
    paint();
    return button;
  };
  const cameraButton = () => {
    const button = toolButton('', '\u{1F4F7}', () => {
      devices.camera = !devices.camera;
      paint();
      if (!devices.camera) report('camera_off');
    });
    const paint = () => {
      // toolbar.accessibilityLabel.videomute / .videounmute
      button.setAttribute('aria-label', devices.camera ? 'Stop camera' : 'Start camera');
      button.setAttribute('aria-pressed', String(!devices.camera));
    };
    paint();
    return button;
  };

  // The prejoin screen; with a lobby it is the knock screen.
  const prejoin = () => {
    const knock = scenario === 'lobby' || scenario === 'denied';
    const name = el('input', { class: 'field', type: 'text', placeholder: 'Enter your name' }); // dialog.enterDisplayName
    const error = el('div', { class: 'error' });
    const join = el(
      'div',
      {
        role: 'button',
        tabindex: '0',
        class: 'action-btn',
        onclick: () => {
          if (!name.value.trim()) {
            error.textContent = 'Please enter your name to join the meeting'; // prejoin.errorMissingName
            return;
          }
          report('name_typed', name.value);
          report('join_clicked', knock ? 'Ask to Join' : 'Join meeting');
          if (scenario === 'password') passwordRequired();
          else if (knock) lobby(name.value);
          else call(name.value);
        },
      },
      knock ? 'Ask to Join' : 'Join meeting', // lobby.knockButton / prejoin.joinMeeting
    );
    show(
      el(
        'div',
        { class: 'premeeting-screen' },
        el('h1', {}, room),
        knock ? el('div', {}, 'Join Meeting') : '', // lobby.joinTitle
        name,
        join,
        error,
        el('div', { class: 'toolbox' }, micButton(), cameraButton()),
      ),
    );
  };

  const lobby = (name) => {
    report('lobby');
    show(
      el(
        'div',
        { class: 'lobby-screen' },
        el('h1', {}, 'Asking to join meeting...'), // lobby.joiningTitle
        el('p', {}, "You'll join the meeting as soon as someone accepts your request"), // lobby.joiningMessage
      ),
    );
    later(2000, () => {
      if (scenario === 'denied') {
        report('denied');
        prejoin();
        root.append(
          el(
            'div',
            { role: 'alert' },
            el('b', {}, 'Join request rejected.'), // lobby.joinRejectedTitle
            el('p', {}, 'Your join request was rejected by a moderator.'), // lobby.joinRejectedMessage
          ),
        );
      } else {
        call(name);
      }
    });
  };

  const passwordRequired = () =>
    root.append(
      el(
        'div',
        { role: 'dialog' },
        el('h2', {}, 'Password required'), // dialog.passwordRequired
        el('p', {}, 'The meeting has been locked by a participant. Please enter the password to join.'), // dialog.passwordLabel
        el('input', { class: 'field', type: 'password', placeholder: 'Password' }), // dialog.password
      ),
    );

  // The call: a moving stage and a tone (so a recording has frames and sound), the filmstrip,
  // the toolbar with the participants button and its badge, and the hang-up button.
  let inCall = false;
  const call = (name) => {
    inCall = true;
    const people = [name, ...OTHERS];
    const badge = el('span', { class: 'badge-round' }, String(people.length));
    const alone = el('div', {});
    const filmstrip = el('div', { class: 'filmstrip' });
    const paintPeople = () => {
      badge.textContent = String(people.length);
      filmstrip.replaceChildren(...people.map((person) => el('div', { class: 'tile' }, person)));
      // lonelyMeetingExperience.youAreAlone
      alone.textContent = people.length === 1 ? 'You are the only one in the meeting' : '';
      report('participants', people.length);
    };
    const hangUp = toolButton('Leave the meeting', '\u{1F4DE}', () => { // toolbar.accessibilityLabel.hangup
      report('leave_clicked');
      if (scenario === 'moderator') {
        root.append(
          el(
            'div',
            { class: 'menu' },
            el('button', { onclick: () => { report('leave_confirmed'); leave(); } }, 'Leave meeting'), // toolbar.accessibilityLabel.leaveConference
            el('button', { onclick: () => report('ended_for_all') }, 'End meeting for all'), // toolbar.accessibilityLabel.endConference
          ),
        );
      } else {
        leave();
      }
    }, { class: 'toolbox-button hangup' });
    const toolbox = el(
      'div',
      { class: 'toolbox', id: 'toolbox' },
      micButton(),
      cameraButton(),
      el(
        'div',
        { class: 'toolbar-button-with-badge' },
        toolButton('Open participants pane', '\u{1F465}', () => {}), // toolbar.accessibilityLabel.participants
        badge,
      ),
      hangUp,
    );
    const stage = el('canvas', { id: 'stage', width: '640', height: '360' });
    show(el('div', {}, stage, filmstrip, alone), toolbox);
    paintPeople();
    report('admitted', people.length);
    media(stage);
    toolbarAutoHide(toolbox);

    if (scenario === 'ended') later(3000, () => endWith('ended', 'Call terminated', 'The meeting has been terminated')); // dialog.sessTerminated / .sessTerminatedReason
    if (scenario === 'kicked') {
      later(3000, () =>
        endWith(
          'kicked',
          `Ouch! ${OTHERS[0]} kicked you out of the meeting`, // dialog.kickTitle
          `You can contact ${OTHERS[0]} for more details.`, // dialog.kickMessage
        ),
      );
    }
    if (scenario === 'alone') {
      later(2000, () => { people.pop(); paintPeople(); });
      later(4000, () => { people.pop(); paintPeople(); });
    }
  };

  // The platform ends the call: the call view goes, a dialog says why.
  const endWith = (kind, title, message) => {
    if (!inCall) return;
    inCall = false;
    report(kind).then(() => show(el('div', { role: 'dialog' }, el('h2', {}, title), el('p', {}, message))));
  };

  // After hanging up: the close page.
  const leave = () => {
    if (!inCall) return;
    inCall = false;
    // dialog.thankYou
    report('left').then(() => show(el('div', { class: 'close-page' }, el('h1', {}, 'Thank you for using Jitsi Meet!'))));
  };

  const toolbarAutoHide = (toolbox) => {
    if (toolbarAlwaysVisible) return;
    let timer;
    const wake = () => {
      toolbox.style.display = '';
      clearTimeout(timer);
      timer = setTimeout(() => { toolbox.style.display = 'none'; report('toolbar_hidden'); }, 3000);
    };
    document.addEventListener('mousemove', wake);
    wake();
  };

  const media = (canvas) => {
    const context = canvas.getContext('2d');
    const draw = (time) => {
      if (!inCall) return;
      context.fillStyle = '#1a1a2e';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.fillStyle = '#4a90d9';
      context.beginPath();
      context.arc(320 + 200 * Math.sin(time / 700), 180, 40, 0, 2 * Math.PI);
      context.fill();
      requestAnimationFrame(draw);
    };
    requestAnimationFrame(draw);
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      gain.gain.value = 0.05;
      tone.frequency.value = 440;
      tone.connect(gain).connect(audio.destination);
      tone.start();
    } catch (error) {
      report('no_audio', error);
    }
  };

  report('page_loaded', scenario);
  prejoin();
})();
