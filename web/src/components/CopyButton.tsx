import { useEffect, useState } from 'react';

/**
 * Put text on the clipboard. The Clipboard API needs a secure context (https or loopback);
 * a dashboard served over plain http on a LAN address falls back to a hidden textarea.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused (no permission, not focused): try the old way
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand?.('copy') ?? false;
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

export function CopyButton({ text, label = '复制', className }: { text: string; label?: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'ok' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = window.setTimeout(() => setState('idle'), 2000);
    return () => window.clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className={className ? `copy ${className}` : 'copy'}
      onClick={() => void copyText(text).then((ok) => setState(ok ? 'ok' : 'failed'))}
      aria-live="polite"
    >
      {state === 'ok' ? '已复制' : state === 'failed' ? '复制失败,请手动选择' : label}
    </button>
  );
}
