// meetbot recorder, page side: captures this tab's video and audio with getDisplayMedia
// (preferCurrentTab; the browser runs with --auto-accept-this-tab-capture), records it with
// MediaRecorder, and hands every chunk to the host through a CDP binding as base64 slices, in
// order. It also meters the audio level once a second, for the silence rule.
// Evaluated as a function: ({binding, width, height, sliceMs}) => Promise<string>.
async ({ binding, width, height, sliceMs }) => {
  const send = (message) => window[binding](JSON.stringify(message));
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: 25, max: 30 } },
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    preferCurrentTab: true,
    selfBrowserSurface: 'include',
    surfaceSwitching: 'exclude',
    systemAudio: 'include',
  });
  const recorder = new MediaRecorder(stream, {
    mimeType: 'video/webm;codecs=vp8,opus',
    videoBitsPerSecond: 1_200_000,
    audioBitsPerSecond: 128_000,
  });
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
  recorder.onstop = () => { chain = chain.then(() => send({ kind: 'stopped' })); };
  recorder.onerror = (event) => send({ kind: 'error', message: String(event.error || event) });

  let meter = null;
  if (stream.getAudioTracks().length > 0) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 2048;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    meter = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      send({ kind: 'level', rms: Math.sqrt(sum / samples.length) });
    }, 1000);
  }
  stream.getVideoTracks()[0]?.addEventListener('ended', () => send({ kind: 'error', message: 'capture ended' }));
  recorder.start(sliceMs);
  Object.defineProperty(window, `${binding}Stop`, {
    configurable: true,
    value: () => {
      if (meter) clearInterval(meter);
      if (recorder.state !== 'inactive') recorder.stop();
      stream.getTracks().forEach((track) => track.stop());
    },
  });
  return `recording ${stream.getVideoTracks().length} video, ${stream.getAudioTracks().length} audio`;
}
