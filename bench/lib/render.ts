// Renders a Vega-Lite specification to SVG headless (no browser, no canvas): vega-lite compiles it to
// a Vega spec, a Vega View with the 'none' renderer turns that into SVG text. The same libraries and
// approach as `dualchat simulate --plot` (src/cli/simulate.ts); loaded only when a chart is drawn.
import type { TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
