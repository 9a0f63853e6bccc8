// Entry point of hone's web UI.
const app = document.getElementById('app');
if (app) app.textContent = 'hone';
