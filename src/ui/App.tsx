import { ReactFlowProvider } from '@xyflow/react';
import { Canvas } from './canvas/Canvas';
import { Notices } from './Notices';

export function App() {
  return (
    <ReactFlowProvider>
      <div className="app">
        <header className="topbar">
          <h1 className="brand">Backprop Circuits</h1>
        </header>
        <main className="workspace">
          <div className="canvas-wrap">
            <Canvas />
            <Legend />
          </div>
        </main>
        <Notices />
      </div>
    </ReactFlowProvider>
  );
}

function Legend() {
  return (
    <div className="legend" aria-hidden="true">
      <span className="legend-value">value above the wire</span>
      <span className="legend-grad">+gradient below</span>
    </div>
  );
}
