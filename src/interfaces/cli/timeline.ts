// The timeline is shared with the registry_history tool: it lives in interfaces/shared.
export { formatTimeline } from '../shared/timeline.js';
