// The interop matrix: fastd-ts against Debian's fastd v22 (and against itself) in private
// namespaces, one fresh pair per cell. The cells are defined in cells.ts.
import {
  defineCells,
  fastdTsPairCells,
  garbageCell,
  ipv6UnderlayCells,
  methodCells,
  modeCells,
  negotiationCells,
  preV22Cell,
  restartCell,
  simultaneousOpenCells,
  statusShapeCells,
} from './cells.js';

defineCells('interop matrix: fastd-ts ↔ Debian fastd', [
  ...methodCells(),
  ...negotiationCells(),
  ...modeCells(),
  ...ipv6UnderlayCells(),
  preV22Cell(),
  ...fastdTsPairCells(),
  ...simultaneousOpenCells(),
  restartCell(true, 0),
  restartCell(true, 1),
  restartCell(false, 0),
  restartCell(false, 1),
  restartCell(true, 1, true),
  restartCell(false, 1, true),
  garbageCell(),
  ...statusShapeCells(),
]);
