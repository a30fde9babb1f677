import { useEffect, useRef } from 'react';
// Only what the dashboards draw, so the KPI chunk (the only one importing this file) stays small.
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, MarkLineComponent, CanvasRenderer]);

/**
 * One ECharts instance on a canvas: follows its container's size, is disposed with the
 * component. `onPick` gets the category index under a click anywhere in the plot (a point, a
 * bar or the band around it, so thin bars are easy to hit).
 */
export function Chart({ option, onPick, height = 320, label }: { option: EChartsCoreOption; onPick?: (index: number) => void; height?: number; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    const instance = echarts.init(box.current!, undefined, { renderer: 'canvas' });
    chart.current = instance;
    instance.getZr().on('click', (e) => {
      const point = [e.offsetX, e.offsetY];
      if (!pick.current || !instance.containPixel('grid', point)) return;
      const [index] = instance.convertFromPixel({ seriesIndex: 0 }, point) as number[];
      if (index !== undefined && Number.isFinite(index)) pick.current(Math.round(index));
    });
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(box.current!);
    return () => {
      resize.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  // The canvas is a picture to assistive technology; the same figures are offered as a table beside it.
  return <div ref={box} role="img" aria-label={label} style={{ width: '100%', height, cursor: onPick ? 'pointer' : undefined }} />;
}
