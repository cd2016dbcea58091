import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './ui/styles.css';
import { initialDoc } from './store/initial';
import { createAppStore } from './store/store';
import { App } from './ui/App';
import { AppStoreContext } from './ui/StoreContext';

const store = createAppStore(initialDoc());

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <AppStoreContext.Provider value={store}>
      <App />
    </AppStoreContext.Provider>
  </StrictMode>,
);
