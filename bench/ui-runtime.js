/**
 * In-page half of `npm run bench:ui`, injected before any page script runs (addInitScript).
 * Plain browser JavaScript on purpose: functions compiled by tsx carry helpers that do not
 * exist in the page. Every time is `performance.now()` in the page, whose zero is the start
 * of the navigation.
 *
 * "Painted" is always the second requestAnimationFrame after the DOM reached its final state:
 * the first runs before that frame is drawn, the second after.
 */
(() => {
  const config = window.__BENCH_CONFIG__ || {};
  const now = () => performance.now();

  /** What the canvas shows this frame, as one comparable string plus counts. */
  function snapshot(idSet) {
    const nodes = document.querySelectorAll('.react-flow__node');
    let visible = 0;
    for (const el of nodes) if (el.style.visibility !== 'hidden') visible++;
    const edges = document.querySelectorAll('.react-flow__edge').length;
    const viewport = document.querySelector('.react-flow__viewport');
    const transform = viewport ? viewport.style.transform : '';
    let ours = true;
    if (idSet) {
      const tagged = document.querySelectorAll('[data-node-id]');
      if (tagged.length === 0) ours = false;
      for (const el of tagged) {
        if (!idSet.has(el.getAttribute('data-node-id'))) {
          ours = false;
          break;
        }
      }
    }
    const ok = ours && visible > 0 && visible === nodes.length && edges > 0;
    return {
      sig: `${nodes.length}|${visible}|${edges}|${transform}|${ok}`,
      ok,
      nodes: nodes.length,
      edges,
    };
  }

  /**
   * Records every frame from now on until the canvas has held the same state for
   * `stableFrames` frames; returns the time (minus `since`) at which that final state was first
   * painted. `ids`: when given, every `[data-node-id]` on screen must be one of them (the old
   * circuit is not the new one).
   */
  function watchPaint(options) {
    const { ids = null, stableFrames = 30, timeoutMs = 30000, minNodes = 1 } = options;
    const since = options.since ?? now();
    const idSet = ids ? new Set(ids) : null;
    return new Promise((resolve) => {
      const times = [];
      let lastSig = '';
      let runStart = -1;
      let runLength = 0;
      let last = null;
      const tick = () => {
        const t = now();
        times.push(t);
        const s = snapshot(idSet);
        last = s;
        if (s.ok && s.nodes >= minNodes && s.sig === lastSig) runLength++;
        else {
          runStart = times.length - 1;
          runLength = 1;
        }
        lastSig = s.sig;
        if (s.ok && s.nodes >= minNodes && runLength >= stableFrames) {
          resolve({
            ms: times[runStart + 1] - since,
            nodes: s.nodes,
            edges: s.edges,
            frames: times.length,
          });
          return;
        }
        if (t - since > timeoutMs) {
          resolve({
            timeout: true,
            ms: Number.NaN,
            nodes: last.nodes,
            edges: last.edges,
            sig: last.sig,
          });
          return;
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
  }

  /** Resolves with the time of the next keydown of `key` (capture phase, before React sees it). */
  function keyTime(key) {
    return new Promise((resolve) => {
      const on = (event) => {
        if (event.key !== key) return;
        window.removeEventListener('keydown', on, true);
        resolve(now());
      };
      window.addEventListener('keydown', on, true);
    });
  }

  /** Arms a load measurement that starts at the next Enter: `window.__bench.load` resolves. */
  function armLoad(options) {
    bench.load = keyTime('Enter').then((since) => watchPaint({ ...options, since }));
  }

  /** Does every value on screen read what it should? Returns the count checked, or -1. */
  function allMatch(expected, mode) {
    let checked = 0;
    if (mode === 'app') {
      for (const el of document.querySelectorAll('[data-node-id]')) {
        const want = expected[el.getAttribute('data-node-id')];
        if (want === undefined) continue;
        const got = Number(el.getAttribute('data-value'));
        if (!(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)))) return -1;
        checked++;
      }
    } else {
      for (const el of document.querySelectorAll('.react-flow__node')) {
        const want = expected[el.getAttribute('data-id')];
        if (want === undefined) continue;
        if (el.textContent !== want) return -1;
        checked++;
      }
    }
    return checked;
  }

  /**
   * Arms an edit measurement: from the next `input` event (capture phase, before React sees
   * it) to every on-screen value matching `expected`, then to the frame after it was painted.
   * `window.__bench.edit` resolves.
   */
  function armEdit({ expected, mode, timeoutMs = 10000 }) {
    bench.edit = new Promise((resolve) => {
      let t0 = -1;
      let done = false;
      const onInput = () => {
        if (t0 < 0) t0 = now();
      };
      window.addEventListener('input', onInput, true);
      const finish = (result) => {
        if (done) return;
        done = true;
        observer.disconnect();
        window.removeEventListener('input', onInput, true);
        resolve(result);
      };
      const observer = new MutationObserver(() => {
        if (t0 < 0 || done) return;
        const checked = allMatch(expected, mode);
        if (checked <= 0) return;
        const dom = now() - t0;
        observer.disconnect();
        requestAnimationFrame(() =>
          requestAnimationFrame(() => finish({ dom, painted: now() - t0, checked })),
        );
      });
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
        attributeFilter: ['data-value'],
      });
      setTimeout(() => finish({ timeout: true, dom: Number.NaN, painted: Number.NaN }), timeoutMs);
    });
  }

  /**
   * Scrubs a value field from inside the page: every frame sets it to the next value and fires
   * `input`, as a drag delivers one coalesced pointer move per frame. Counts frames.
   */
  function scrubField({ label, start, step, durationMs }) {
    const field = document.querySelector(`input[aria-label="${label}"]`);
    if (!field) return Promise.resolve({ error: `no field ${label}` });
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    field.focus();
    return new Promise((resolve) => {
      let frames = 0;
      let longest = 0;
      let begin = -1;
      let previous = -1;
      const tick = () => {
        const t = now();
        if (begin < 0) begin = t;
        else longest = Math.max(longest, t - previous);
        previous = t;
        if (t - begin >= durationMs) {
          field.blur();
          resolve({ fps: (frames * 1000) / (t - begin), frames, longest });
          return;
        }
        frames++;
        const x = Math.round((start + frames * step) * 1e6) / 1e6;
        setValue.call(field, String(x));
        field.dispatchEvent(new Event('input', { bubbles: true }));
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
  }

  /**
   * Counts frames until `stop()`, for gestures driven from outside the page; with `watch`, also
   * how often that element's data-value changed.
   */
  function countFrames(watch) {
    const state = { frames: 0, begin: now(), longest: 0, running: true, updates: 0 };
    let previous = state.begin;
    const target = watch ? document.querySelector(watch) : null;
    const observer = new MutationObserver((records) => {
      state.updates += records.length;
    });
    if (target) observer.observe(target, { attributes: true, attributeFilter: ['data-value'] });
    const tick = () => {
      if (!state.running) return;
      const t = now();
      state.longest = Math.max(state.longest, t - previous);
      previous = t;
      state.frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    bench.stopFrames = () => {
      state.running = false;
      observer.disconnect();
      const seconds = (now() - state.begin) / 1000;
      return {
        fps: state.frames / seconds,
        frames: state.frames,
        longest: state.longest,
        updates: state.updates / seconds,
      };
    };
  }

  /** Sets the range input `label` to `value` as a drag would: native setter, then input + change. */
  function setRange(label, value) {
    const field = document.querySelector(`input[type="range"][aria-label="${label}"]`);
    if (!field) return { error: `no range ${label}` };
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    setValue.call(field, String(value));
    field.dispatchEvent(new Event('input', { bubbles: true }));
    field.dispatchEvent(new Event('change', { bubbles: true }));
    return { value: Number(field.value), max: Number(field.max) };
  }

  /** Edge ids of the `.pulse` elements now in the DOM ('' for one outside any edge). */
  function pulseEdges() {
    return [...document.querySelectorAll('.pulse')].map((el) => {
      const edge = el.closest('.react-flow__edge');
      return edge ? edge.getAttribute('data-id') || '' : '';
    });
  }

  /**
   * Arms a playback measurement that starts at the next click (capture phase, before React
   * sees it: the click on Play): counts frames for `durationMs`, samples the number of
   * `.pulse` elements every few frames, and in the last frame reads the timeline's cursor and
   * which edges carry a pulse. `window.__bench.playback` resolves.
   */
  function armPlayback({ durationMs, timeline = 'Timeline', sampleEvery = 6 }) {
    bench.playback = new Promise((resolve) => {
      const range = () => document.querySelector(`input[type="range"][aria-label="${timeline}"]`);
      const pulses = document.getElementsByClassName('pulse');
      const onClick = () => {
        window.removeEventListener('click', onClick, true);
        const begin = now();
        // Looked up once: an attribute selector walks the whole DOM, too slow for every frame.
        const field = range();
        const read = () => (field?.isConnected ? Number(field.value) : Number.NaN);
        const startCursor = read();
        let frames = 0;
        let longest = 0;
        let previous = begin;
        let maxPulses = 0;
        // Frames over 1.5 refresh intervals, and how many of them saw the cursor move.
        let longFrames = 0;
        let longAtStep = 0;
        let cursor = startCursor;
        const tick = () => {
          const t = now();
          const gap = t - previous;
          longest = Math.max(longest, gap);
          previous = t;
          frames++;
          const at = read();
          if (gap > 25) {
            longFrames++;
            if (at !== cursor) longAtStep++;
          }
          cursor = at;
          if (frames % sampleEvery === 0) maxPulses = Math.max(maxPulses, pulses.length);
          if (t - begin < durationMs) {
            requestAnimationFrame(tick);
            return;
          }
          const edges = pulseEdges();
          resolve({
            fps: (frames * 1000) / (t - begin),
            frames,
            longest,
            startCursor,
            longFrames,
            longAtStep,
            endCursor: range() ? Number(range().value) : Number.NaN,
            fieldReplaced: field !== range(),
            pulseEdges: edges,
            maxPulses: Math.max(maxPulses, edges.length),
            edgeIds: [...document.querySelectorAll('.react-flow__edge')].map((el) =>
              el.getAttribute('data-id'),
            ),
          });
        };
        requestAnimationFrame(tick);
      };
      window.addEventListener('click', onClick, true);
    });
  }

  /**
   * The plain-page counterpart of playback: ONE dot moved along one on-screen edge's path by
   * requestAnimationFrame (getPointAtLength each frame, as the app's Pulse does), target →
   * source, restarting every `periodMs`, for `durationMs`. Counts frames.
   */
  function pulseDot({ durationMs, periodMs }) {
    const paths = [...document.querySelectorAll('.react-flow__edge path.react-flow__edge-path')];
    const inView = paths.filter((p) => {
      const r = p.getBoundingClientRect();
      return r.width + r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < innerWidth;
    });
    const path = inView[Math.floor(inView.length / 2)] ?? paths[0];
    if (!path) return Promise.resolve({ error: 'no edge path' });
    const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    dot.setAttribute('r', '7');
    dot.setAttribute('fill', '#dc2626');
    dot.setAttribute('class', 'bench-pulse');
    path.parentNode.appendChild(dot);
    const length = path.getTotalLength();
    return new Promise((resolve) => {
      let frames = 0;
      let longest = 0;
      let begin = -1;
      let previous = -1;
      const tick = () => {
        const t = now();
        if (begin < 0) begin = t;
        else longest = Math.max(longest, t - previous);
        previous = t;
        if (t - begin >= durationMs) {
          dot.remove();
          resolve({ fps: (frames * 1000) / (t - begin), frames, longest, pathLength: length });
          return;
        }
        frames++;
        const at = path.getPointAtLength(length * (1 - ((t - begin) % periodMs) / periodMs));
        dot.setAttribute('cx', String(at.x));
        dot.setAttribute('cy', String(at.y));
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
  }

  /**
   * React Flow's own store, found through React's fiber of the canvas element (the page has
   * no hook for it): walks up from `.react-flow` to the context provider whose value is a
   * store holding `panZoom` and `nodeLookup`. Null when not found.
   */
  function flowStore() {
    const el = document.querySelector('.react-flow');
    if (!el) return null;
    const key = Object.keys(el).find((k) => k.startsWith('__reactFiber$'));
    for (let fiber = key ? el[key] : null; fiber; fiber = fiber.return) {
      const value = fiber.memoizedProps?.value;
      if (value && typeof value.getState === 'function') {
        const state = value.getState();
        if (state && 'panZoom' in state && 'nodeLookup' in state) return value;
      }
    }
    return null;
  }

  /**
   * Moves the camera so node `id` is in the middle of the canvas at `zoom` (the current zoom
   * when absent), over `duration` ms. Returns the zoom used, or an error.
   */
  function centerOn(id, zoom, duration = 0) {
    const store = flowStore();
    if (!store) return { error: 'React Flow store not found' };
    const s = store.getState();
    const node = s.nodeLookup.get(id);
    if (!node || !s.panZoom) return { error: `no node ${id}` };
    const z = zoom ?? s.transform[2];
    const p = node.internals.positionAbsolute;
    const w = node.measured?.width ?? node.width ?? 0;
    const h = node.measured?.height ?? node.height ?? 0;
    const x = s.width / 2 - (p.x + w / 2) * z;
    const y = s.height / 2 - (p.y + h / 2) * z;
    s.panZoom.setViewport({ x, y, zoom: z }, duration > 0 ? { duration } : undefined);
    return { zoom: z };
  }

  /** The canvas's transform as text: it changes whenever the camera moves. */
  function viewTransform() {
    const viewport = document.querySelector('.react-flow__viewport');
    return viewport ? viewport.style.transform : '';
  }

  /**
   * Arms a camera-follow playback measurement that starts at the next click (on Play): counts
   * frames for `durationMs`. With `mode` 'bench', every time the Timeline's cursor moves the
   * camera glides (`glideMs`) to the gate of the new step, `stepNodes[cursor - 1]`, at `zoom`;
   * with 'app' the app moves the camera itself. Also counts the camera moves seen (frames whose
   * transform differs from the last one) and, at the end, whether the current step's gate is
   * on screen. `window.__bench.follow` resolves.
   */
  function armFollow({ durationMs, stepNodes, mode, zoom, glideMs = 150 }) {
    bench.follow = new Promise((resolve) => {
      const onClick = () => {
        window.removeEventListener('click', onClick, true);
        const field = document.querySelector('input[type="range"][aria-label="Timeline"]');
        const read = () => (field?.isConnected ? Number(field.value) : Number.NaN);
        const begin = now();
        const startCursor = read();
        let cursor = startCursor;
        let frames = 0;
        let longest = 0;
        let previous = begin;
        let moving = 0;
        let lastTransform = viewTransform();
        let errors = 0;
        const tick = () => {
          const t = now();
          longest = Math.max(longest, t - previous);
          previous = t;
          frames++;
          const at = read();
          if (at !== cursor) {
            cursor = at;
            const id = stepNodes[at - 1];
            if (mode === 'bench' && id) {
              const r = centerOn(id, zoom, glideMs);
              if (r.error) errors++;
            }
          }
          const transform = viewTransform();
          if (transform !== lastTransform) moving++;
          lastTransform = transform;
          if (t - begin < durationMs) {
            requestAnimationFrame(tick);
            return;
          }
          const id = stepNodes[cursor - 1];
          const el = id
            ? document.querySelector(`.react-flow__node[data-id="${CSS.escape(id)}"]`)
            : null;
          const pane = document.querySelector('.react-flow')?.getBoundingClientRect();
          const box = el?.getBoundingClientRect();
          const onScreen =
            !!box &&
            !!pane &&
            box.right > pane.left &&
            box.left < pane.right &&
            box.bottom > pane.top &&
            box.top < pane.bottom;
          resolve({
            fps: (frames * 1000) / (t - begin),
            frames,
            longest,
            startCursor,
            endCursor: cursor,
            cameraFrames: moving,
            activeOnScreen: onScreen,
            errors,
          });
        };
        requestAnimationFrame(tick);
      };
      window.addEventListener('click', onClick, true);
    });
  }

  const bench = {
    watchPaint,
    armLoad,
    armEdit,
    scrubField,
    countFrames,
    snapshot,
    setRange,
    pulseEdges,
    armPlayback,
    pulseDot,
    flowStore,
    centerOn,
    viewTransform,
    armFollow,
  };
  window.__bench = bench;
  if (config.watchNavigation) bench.loaded = watchPaint({ ...config.watchNavigation, since: 0 });
})();
