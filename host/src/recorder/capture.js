// meetbot recorder, page side: captures this tab's video and audio with getDisplayMedia
// (preferCurrentTab; the browser runs with --auto-accept-this-tab-capture), or its audio alone
// (`video` false), records it with MediaRecorder, and hands every chunk to the host through a CDP binding as base64 slices, in
// order. It runs in an isolated world of the page (the only one the binding is exposed to): the
// meeting page's scripts share the DOM with it, but see neither the binding, nor this script's
// globals (its stop function), nor the built-ins it uses. Once a second it reports the audio level,
// for the silence rule, and the video frames recorded since the last report (with the gaps:
// stretches of more than a second without a frame), for the host's metrics; the last counts come
// with `stopped`. It also reports the
// viewport's size whenever it changes (the host keeps it at the recording's size).
// Evaluated as a function: ({binding, video, width, height, sliceMs, frameRate, videoBitsPerSecond,
// roomHeight}) => Promise<string>.
//
// Sound only: getDisplayMedia has no audio-only form, so it is asked for the smallest, slowest
// picture and that video track is stopped at once, before anything consumes it. That ends the tab's
// video capture in the browser (its frames are no longer composited for it: measured, the GPU
// process's share drops back to about the uncaptured page's) while the tab's audio track goes on;
// MediaRecorder then writes Opus alone, and the frame pipeline below never runs.
//
// Every recorded frame is exactly width x height. The host makes the viewport roomHeight px
// taller than that before capturing, and Chromium's "sharing this tab" bar takes that room once
// capture runs; the track is cropped and scaled to the size (Chrome crops to the aspect ratio
// and scales down, never up); and the frames that still come smaller (the capture starts small,
// shrinks frames when the machine is busy, and the viewport may be smaller for a moment) are
// drawn, letterboxed, onto a canvas of the size before MediaRecorder sees them. Frames of the
// right size pass through untouched.
async ({ binding, video: withVideo, width, height, sliceMs, frameRate, videoBitsPerSecond, roomHeight }) => {
  const send = (message) => window[binding](JSON.stringify(message));
  addEventListener('resize', () => send({ kind: 'viewport', width: innerWidth, height: innerHeight }));
  const stream = await navigator.mediaDevices.getDisplayMedia({
    // `max` keeps the capture itself no larger than the viewport the host sets up (exact and min
    // constraints are not allowed here; applyConstraints below pins the size).
    video: withVideo
      ? {
          width: { ideal: width, max: width },
          height: { ideal: height, max: height + roomHeight },
          frameRate: { ideal: frameRate, max: frameRate },
        }
      : { width: { max: 64 }, height: { max: 64 }, frameRate: { max: 1 } },
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    preferCurrentTab: true,
    selfBrowserSurface: 'include',
    surfaceSwitching: 'exclude',
    systemAudio: 'include',
  });
  if (!withVideo) {
    for (const track of stream.getVideoTracks()) {
      track.stop();
      stream.removeTrack(track);
    }
    if (stream.getAudioTracks().length === 0) throw new Error('the tab has no audio to record');
  }
  const video = stream.getVideoTracks()[0];
  let pinned = 'no video';
  let recorded = stream;
  let rescaled = 0;
  let stopping = false;
  if (video) {
    try {
      await video.applyConstraints({
        width: { exact: width },
        height: { exact: height },
        resizeMode: 'crop-and-scale',
        frameRate: { max: frameRate },
      });
      pinned = `${width}x${height}`;
    } catch (error) {
      pinned = `not cropped (${error})`;
    }
  }
  // Frame counts, only where frames pass through this page (the letterboxing below): frames and
  // gaps since the last report. A gap still going on counts once, when a report or the next frame
  // sees it.
  let counts = null;
  const GAP_MS = 1000;
  const seeGap = (now) => {
    if (!counts.inGap && now - counts.last > GAP_MS) {
      counts.gaps++;
      counts.inGap = true;
    }
  };
  const takeCounts = () => {
    if (!counts) return {};
    seeGap(performance.now());
    const taken = { frames: counts.frames, gaps: counts.gaps };
    counts.frames = 0;
    counts.gaps = 0;
    return taken;
  };
  // Frames pass from the capture to the recorder through here; only those of another size are
  // drawn (letterboxed) onto a canvas of the recording's size.
  if (video && typeof MediaStreamTrackGenerator === 'function') {
    const generator = new MediaStreamTrackGenerator({ kind: 'video' });
    const writer = generator.writable.getWriter();
    const reader = new MediaStreamTrackProcessor({ track: video }).readable.getReader();
    let canvas = null;
    counts = { frames: 0, gaps: 0, last: performance.now(), inGap: false };
    (async () => {
      for (;;) {
        const { value: frame, done } = await reader.read();
        if (done) break;
        const now = performance.now();
        seeGap(now);
        counts.inGap = false;
        counts.last = now;
        counts.frames++;
        if (frame.displayWidth === width && frame.displayHeight === height) {
          await writer.write(frame);
          continue;
        }
        rescaled++;
        canvas ??= new OffscreenCanvas(width, height).getContext('2d', { alpha: false });
        const scale = Math.min(width / frame.displayWidth, height / frame.displayHeight);
        const w = Math.round(frame.displayWidth * scale);
        const h = Math.round(frame.displayHeight * scale);
        canvas.fillStyle = '#000';
        canvas.fillRect(0, 0, width, height);
        canvas.drawImage(frame, Math.round((width - w) / 2), Math.round((height - h) / 2), w, h);
        const sized = new VideoFrame(canvas.canvas, { timestamp: frame.timestamp });
        frame.close();
        await writer.write(sized);
      }
      await writer.close();
    })().catch((error) => stopping || send({ kind: 'error', message: `video pipeline: ${error}` }));
    recorded = new MediaStream([generator, ...stream.getAudioTracks()]);
  }
  const recorder = new MediaRecorder(
    recorded,
    video
      ? { mimeType: 'video/webm;codecs=vp8,opus', videoBitsPerSecond, audioBitsPerSecond: 128_000 }
      : { mimeType: 'audio/webm;codecs=opus', audioBitsPerSecond: 128_000 },
  );
  let seq = 0;
  // Blob reads resolve in any order; a chain keeps the chunks in recording order.
  let chain = Promise.resolve();
  const SLICE = 512 * 1024;
  recorder.ondataavailable = (event) => {
    if (!event.data || event.data.size === 0) return;
    const blob = event.data;
    chain = chain.then(async () => {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      for (let offset = 0; offset < bytes.length; offset += SLICE) {
        const part = bytes.subarray(offset, offset + SLICE);
        let text = '';
        for (let i = 0; i < part.length; i += 0x8000) {
          text += String.fromCharCode.apply(null, part.subarray(i, i + 0x8000));
        }
        send({ kind: 'chunk', seq: seq++, data: btoa(text) });
      }
    });
  };
  recorder.onstop = () => { chain = chain.then(() => send({ kind: 'stopped', rescaled, ...takeCounts() })); };
  recorder.onerror = (event) => send({ kind: 'error', message: String(event.error || event) });

  let level = () => null;
  if (stream.getAudioTracks().length > 0) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    // The largest window (32768 samples, ~0.7 s at 48 kHz): a short one read once a second is a
    // snapshot that can land in the pauses between syllables every time (speech and this meter
    // both keep a steady rhythm), and a talking meeting would pass for a quiet one.
    analyser.fftSize = 32768;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    level = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      return Math.sqrt(sum / samples.length);
    };
  }
  let meter = null;
  if (stream.getAudioTracks().length > 0 || counts) {
    meter = setInterval(() => send({ kind: 'level', rms: level(), ...takeCounts() }), 1000);
  }
  // The track the recording stands on: the picture, or the sound when there is no picture.
  (video ?? stream.getAudioTracks()[0])?.addEventListener('ended', () => send({ kind: 'error', message: 'capture ended' }));
  recorder.start(sliceMs);
  Object.defineProperty(window, `${binding}Stop`, {
    configurable: true,
    value: () => {
      stopping = true;
      if (meter) clearInterval(meter);
      if (recorder.state !== 'inactive') recorder.stop();
      stream.getTracks().forEach((track) => track.stop());
      recorded.getTracks().forEach((track) => track.stop());
    },
  });
  const audio = stream.getAudioTracks().length;
  if (!withVideo) return `recording sound only: ${audio} audio, video capture stopped`;
  return `recording ${stream.getVideoTracks().length} video (${pinned}), ${audio} audio`;
}
