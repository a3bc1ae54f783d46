import { render } from 'preact';
import { App } from './app';
import './styles/base.css';
import './styles/layout.css';
import './styles/tasks.css';
import './styles/transcript.css';
import './styles/transcript-edit.css';
import './styles/live.css';
import './styles/workers.css';
import './styles/library.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
