export { formatDateTime } from '../../i18n/index.ts';
export { showOnField } from '../../api/forms.ts';

