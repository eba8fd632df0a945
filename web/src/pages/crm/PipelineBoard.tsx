import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  rectIntersection,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
} from "@dnd-kit/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n, type TFunction } from "@/i18n";
import { formatNumber } from "@/lib/format";
import { cn } from "@/lib/utils";
import { channelLabel } from "@/pages/analytics/channels";
import { filtersFromParams, filtersToParams, leadQuery, type LeadFilters } from "./filters";
import { LeadFiltersBar } from "./LeadFiltersBar";
import { columnKeyboardCoordinates, findCard } from "./pipeline";
import { Money, ScoreChip, stageKey } from "./shared";
import { needsDetails, StageDialog } from "./StageDialog";
import { CRM_WRITE, type Pipeline, type PipelineCard, type PipelineColumn, type Stage, type StageChange } from "./types";
import { PIPELINE_KEY, useStageChange } from "./useStageChange";

const CARDS_PER_STAGE = 50;

/** Columns under the pointer first (precise for wide columns), else the most overlapped. */
const collision: CollisionDetection = (args) => {
  const hits = pointerWithin(args);
  return hits.length > 0 ? hits : rectIntersection(args);
};

/** Where the lead came from, in one short line: its campaign, else its source, else its channel. */
export function cardOrigin(card: PipelineCard, t: TFunction): { text: string; title: string } {
  const source = [card.source, card.medium].filter(Boolean).join(" / ");
  const parts = [card.campaign, source || null, card.channel ? channelLabel(t, card.channel) : null].filter((p): p is string => Boolean(p));
  return { text: parts[0] ?? t("crm.pipeline.noOrigin"), title: parts.join(" · ") };
}

function CardBody({ card, currency }: { card: PipelineCard; currency: string }) {
  const { t } = useI18n();
  const origin = cardOrigin(card, t);
  return (
    <div className="grid min-w-0 gap-1">
      <div className="flex items-start justify-between gap-2">
        <span className="min-w-0 break-words font-medium">{card.name || t("crm.lead.unnamed")}</span>
        <ScoreChip score={card.lead_score} />
      </div>
      {card.company ? <span className="break-words text-xs text-muted-foreground">{card.company}</span> : null}
      <span className="truncate text-xs text-muted-foreground" title={origin.title} data-testid="pipeline-card-origin">
        {origin.text}
      </span>
      <div className="flex items-center justify-between gap-2 text-xs text-muted-foreground">
        <Money value={card.stage_value} currency={currency} />
        {card.owner ? <span className="truncate">{card.owner.name}</span> : null}
      </div>
    </div>
  );
}

function DraggableCard({ card, stage, disabled, currency }: { card: PipelineCard; stage: Stage; disabled: boolean; currency: string }) {
  const { t } = useI18n();
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: card.lead_id, data: { stage }, disabled });
  return (
    <li
      ref={setNodeRef}
      {...attributes}
      {...listeners}
      aria-roledescription={t("crm.pipeline.cardRole")}
      data-testid="pipeline-card"
      data-lead-id={card.lead_id}
      className={cn(
        "rounded-md border bg-background p-3 text-sm shadow-sm outline-none focus-visible:ring-2 focus-visible:ring-ring",
        !disabled && "cursor-grab touch-none",
        isDragging && "opacity-40",
      )}
    >
      <CardBody card={card} currency={currency} />
      <Link
        to={`/leads/${card.lead_id}`}
        className="mt-1 inline-block text-xs text-primary hover:underline"
        onPointerDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.stopPropagation()}
        data-testid="pipeline-card-link"
      >
        {t("crm.pipeline.open")}
      </Link>
    </li>
  );
}

function Column({ column, canWrite, currency }: { column: PipelineColumn; canWrite: boolean; currency: string }) {
  const { t, locale } = useI18n();
  const { setNodeRef, isOver } = useDroppable({ id: column.stage });
  const hidden = column.count - column.cards.length;
  return (
    <section
      ref={setNodeRef}
      aria-label={t(stageKey(column.stage))}
      data-testid={`pipeline-column-${column.stage}`}
      data-stage={column.stage}
      className={cn(
        // Six columns side by side from 1280 px; below that a fixed width and the board scrolls.
        "flex w-56 shrink-0 flex-col gap-2 rounded-lg border bg-muted/40 p-2 transition-colors xl:w-auto xl:min-w-0",
        isOver && "border-primary bg-primary/5",
      )}
    >
      <header className="px-1">
        <div className="flex items-center justify-between gap-2">
          <h3 className="font-semibold">{t(stageKey(column.stage))}</h3>
          <span className="rounded-full bg-background px-2 text-xs tabular-nums" data-testid="column-count">
            {formatNumber(column.count, locale)}
          </span>
        </div>
        <div className="text-xs text-muted-foreground" data-testid="column-value">
          <Money value={column.value} currency={currency} />
        </div>
      </header>
      <ul className="grid min-h-24 content-start gap-2">
        {column.cards.map((card) => (
          <DraggableCard key={card.lead_id} card={card} stage={column.stage} disabled={!canWrite} currency={currency} />
        ))}
      </ul>
      {hidden > 0 ? (
        <Link to={`/leads?stage=${column.stage}`} className="px-1 text-xs text-primary hover:underline">
          {t("crm.pipeline.more", { count: formatNumber(hidden, locale) })}
        </Link>
      ) : null}
    </section>
  );
}

/** The board itself: drag a card to another column to change the lead's stage. */
export function PipelineColumns({ board, canWrite }: { board: Pipeline; canWrite: boolean }) {
  const { t } = useI18n();
  const change = useStageChange();
  const [active, setActive] = useState<PipelineCard | null>(null);
  const [asking, setAsking] = useState<{ card: PipelineCard; stage: "won" | "lost" } | null>(null);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: columnKeyboardCoordinates }),
  );

  const move = (leadId: string, body: StageChange) => change.mutate({ leadId, body });

  const onDragStart = (e: DragStartEvent) => setActive(findCard(board, String(e.active.id))?.card ?? null);
  const onDragEnd = (e: DragEndEvent) => {
    setActive(null);
    const to = e.over?.id as Stage | undefined;
    const place = findCard(board, String(e.active.id));
    if (!to || !place || place.stage === to) return;
    if (needsDetails(to)) setAsking({ card: place.card, stage: to });
    else move(place.card.lead_id, { stage_name: to });
  };

  return (
    <>
      <DndContext
        sensors={sensors}
        collisionDetection={collision}
        onDragStart={onDragStart}
        onDragEnd={onDragEnd}
        onDragCancel={() => setActive(null)}
        // Scroll sideways only when the pointer is right at the board's edge, and slowly: a
        // fast scroll under a held card carried it past the column the user aimed at.
        autoScroll={{ threshold: { x: 0.05, y: 0.15 }, acceleration: 3 }}
        accessibility={{
          screenReaderInstructions: { draggable: t("crm.pipeline.instructions") },
        }}
      >
        <div className="-mx-1 flex gap-2 overflow-x-auto px-1 pb-2 xl:grid xl:grid-cols-6 xl:overflow-x-visible" data-testid="pipeline-board">
          {board.stages.map((column) => (
            <Column key={column.stage} column={column} canWrite={canWrite} currency={board.currency} />
          ))}
        </div>
        {/* No drop animation: it would fly back to where the card was before the optimistic move. */}
        <DragOverlay dropAnimation={null}>
          {active ? (
            <div className="w-52 rotate-1 rounded-md border bg-background p-3 text-sm shadow-lg" data-testid="pipeline-overlay">
              <CardBody card={active} currency={board.currency} />
            </div>
          ) : null}
        </DragOverlay>
      </DndContext>
      <StageDialog
        key={asking ? `${asking.card.lead_id}-${asking.stage}` : "none"}
        stage={asking?.stage ?? null}
        leadName={asking?.card.name ?? ""}
        currentValue={asking?.card.stage_value}
        onCancel={() => setAsking(null)}
        onConfirm={(body) => {
          if (asking) move(asking.card.lead_id, body);
          setAsking(null);
        }}
      />
    </>
  );
}

/** The pipeline board: counts and value sums per stage, the latest cards of each, filtered like the list. */
export default function PipelineBoard() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const { page: _page, page_size: _size, stage: _stage, ...query } = leadQuery(filters, 1, 1);
  const board = useQuery({
    queryKey: [...PIPELINE_KEY, CARDS_PER_STAGE, query],
    queryFn: () => unwrap(api.GET("/api/pipeline", { params: { query: { ...query, cards: CARDS_PER_STAGE } } })),
    placeholderData: keepPreviousData,
  });
  const onChange = useCallback((next: LeadFilters) => setParams(filtersToParams({ ...next, stage: [] }), { replace: true }), [setParams]);
  return (
    <div className="grid grid-cols-1 gap-3">
      <p className="text-sm text-muted-foreground">{t("crm.pipeline.description")}</p>
      <LeadFiltersBar filters={filters} onChange={onChange} stages={false} />
      <QueryStates query={board}>{(data) => <PipelineColumns board={data} canWrite={me.permissions.includes(CRM_WRITE)} />}</QueryStates>
    </div>
  );
}
