import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './ui/styles.css';
import { App } from './ui/App';
import { AppStoreContext } from './ui/StoreContext';
import { startSession } from './ui/session';

const session = startSession(window);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <AppStoreContext.Provider value={session.store}>
      <App />
    </AppStoreContext.Provider>
  </StrictMode>,
);
