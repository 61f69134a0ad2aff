// Matrix cells that do not pass yet (the engine is being written). Not picked up by the
// suite (vitest runs *.test.ts); run them with:
//   npx vitest run -c test/interop/pending/vitest.pending.config.ts
// and move each cell that passes into ../matrix.test.ts.
import {
  defineCells,
  fastdTsPairCells,
  garbageCell,
  methodCells,
  modeCells,
  preV22Cell,
  restartCells,
  simultaneousOpenCells,
  statusShapeCells,
} from '../cells.js';

defineCells('interop matrix, pending cells', [
  ...methodCells(),
  ...modeCells(),
  preV22Cell(),
  ...fastdTsPairCells(),
  ...simultaneousOpenCells(),
  ...restartCells(),
  garbageCell(),
  ...statusShapeCells(),
]);
