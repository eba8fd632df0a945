/** Pure helpers of the pipeline board (the optimistic move, keyboard moves, money input). */
import { KeyboardCode, type KeyboardCoordinateGetter } from "@dnd-kit/core";
import { toAmount } from "./shared";
import type { Pipeline, PipelineCard, Stage } from "./types";

export interface CardPlace {
  card: PipelineCard;
  stage: Stage;
}

export function findCard(board: Pipeline, leadId: string): CardPlace | null {
  for (const column of board.stages) {
    const card = column.cards.find((c) => c.lead_id === leadId);
    if (card) return { card, stage: column.stage };
  }
  return null;
}

function money(n: number): string {
  return n.toFixed(2);
}

/**
 * The board after moving a lead to `to`, as the server will have it: the card leaves its
 * column (count and value sum go down) and opens the target column (the most recently
 * moved come first). `stageValue` replaces the lead's value when given (a won deal);
 * otherwise the lead keeps its latest one. An unknown lead or the same column: unchanged.
 */
export function moveCard(board: Pipeline, leadId: string, to: Stage, stageValue?: string | null, now: Date = new Date()): Pipeline {
  const place = findCard(board, leadId);
  if (!place || place.stage === to) return board;
  const oldValue = toAmount(place.card.stage_value) ?? 0;
  const nextValueText = stageValue === undefined || stageValue === null ? place.card.stage_value : stageValue;
  const newValue = toAmount(nextValueText) ?? 0;
  const moved: PipelineCard = { ...place.card, stage_value: nextValueText, stage_changed_at: now.toISOString() };
  return {
    ...board,
    stages: board.stages.map((column) => {
      if (column.stage === place.stage) {
        return {
          ...column,
          count: Math.max(0, column.count - 1),
          value: money((toAmount(column.value) ?? 0) - oldValue),
          cards: column.cards.filter((c) => c.lead_id !== leadId),
        };
      }
      if (column.stage === to) {
        return { ...column, count: column.count + 1, value: money((toAmount(column.value) ?? 0) + newValue), cards: [moved, ...column.cards] };
      }
      return column;
    }),
  };
}

/**
 * A money amount as typed ("1.234,56", "1234.56", "R$ 1.500", "1500"), as the API's
 * decimal text with two places, or null when it is not a non-negative amount.
 * With both separators the last one is the decimal mark; a lone comma is decimal; a lone
 * dot followed by exactly three digits is a thousands separator.
 */
export function parseMoneyInput(raw: string): string | null {
  let s = raw.replace(/R\$|\s/g, "");
  if (s === "" || !/^[\d.,]+$/.test(s)) return null;
  const lastComma = s.lastIndexOf(",");
  const lastDot = s.lastIndexOf(".");
  if (lastComma >= 0 && lastDot >= 0) {
    const decimal = lastComma > lastDot ? "," : ".";
    const thousands = decimal === "," ? "." : ",";
    s = s.split(thousands).join("").replace(decimal, ".");
  } else if (lastComma >= 0) {
    if (s.indexOf(",") !== lastComma) s = s.split(",").join("");
    else s = s.replace(",", ".");
  } else if (lastDot >= 0) {
    const parts = s.split(".");
    if (parts.length > 2 || (parts.length === 2 && parts[1]!.length === 3)) s = parts.join("");
  }
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
  const n = Number(s);
  if (!Number.isFinite(n) || n >= 1e12) return null;
  return n.toFixed(2);
}

/**
 * Keyboard moves between columns: ← and → put the picked-up card over the previous or next
 * column (its top kept), so one key press is one stage and the card never lands past the
 * board's ends; ↑ and ↓ are not used (a column's order is by date, not by hand).
 */
export const columnKeyboardCoordinates: KeyboardCoordinateGetter = (event, { context, currentCoordinates }) => {
  if (event.code !== KeyboardCode.Right && event.code !== KeyboardCode.Left) return undefined;
  const { collisionRect, droppableRects } = context;
  if (!collisionRect) return undefined;
  const columns = [...droppableRects.values()].sort((a, b) => a.left - b.left);
  const middle = collisionRect.left + collisionRect.width / 2;
  let here = columns.findIndex((rect) => middle >= rect.left && middle <= rect.right);
  if (here < 0) here = columns.reduce((best, rect, i) => (Math.abs(rect.left - middle) < Math.abs(columns[best]!.left - middle) ? i : best), 0);
  const target = columns[here + (event.code === KeyboardCode.Right ? 1 : -1)];
  if (!target) return currentCoordinates;
  event.preventDefault();
  return { x: target.left + (target.width - collisionRect.width) / 2, y: currentCoordinates.y };
};
