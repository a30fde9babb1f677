import { useEffect, useState } from 'react';
import { Select } from 'antd';
import { api } from '../../api/client.ts';
import { isAbort } from '../../api/useLoad.tsx';
import { useStaffName } from './data.ts';

/** Picks a staff member by name, username or employee number, searched on the server. */
export function StaffPicker({ value, onChange, id, 'aria-label': ariaLabel }: { value?: string | null; onChange?: (v: string | null) => void; id?: string; 'aria-label'?: string }) {
  const [q, setQ] = useState('');
  const [options, setOptions] = useState<Array<{ value: string; label: string }>>([]);
  const current = useStaffName(value ?? null);
  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/staff', { query: { limit: 20, status: 'active', ...(q ? { q } : {}) }, signal: controller.signal })
      .then((page) => setOptions(page.data.map((s) => ({ value: s.id, label: `${s.displayName}（${s.username}）` }))))
      .catch((err: unknown) => {
        if (!isAbort(err)) setOptions([]);
      });
    return () => controller.abort();
  }, [q]);
  const withCurrent = value && current && !options.some((o) => o.value === value) ? [{ value, label: current }, ...options] : options;
  return (
    <Select
      id={id}
      aria-label={ariaLabel}
      allowClear
      showSearch={{ filterOption: false, onSearch: (v) => setQ(v.trim()) }}
      value={value ?? undefined}
      onChange={(v?: string) => onChange?.(v ?? null)}
      options={withCurrent}
    />
  );
}
