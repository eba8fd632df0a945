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
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { useCurrentUser } from "@/auth/session";
import { QueryStates } from "@/components/ui/query-states";
import { useI18n } from "@/i18n";
import { formatNumber } from "@/lib/format";
import { cn } from "@/lib/utils";
import { findCard } from "./pipeline";
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

function CardBody({ card }: { card: PipelineCard }) {
  const { t } = useI18n();
  return (
    <div className="grid gap-1">
      <div className="flex items-start justify-between gap-2">
        <span className="min-w-0 break-words font-medium">{card.name || t("crm.lead.unnamed")}</span>
        <ScoreChip score={card.lead_score} />
      </div>
      {card.company ? <span className="break-words text-xs text-muted-foreground">{card.company}</span> : null}
      <div className="flex items-center justify-between gap-2 text-xs text-muted-foreground">
        <Money value={card.stage_value} />
        {card.owner ? <span className="truncate">{card.owner.name}</span> : null}
      </div>
    </div>
  );
}

function DraggableCard({ card, stage, disabled }: { card: PipelineCard; stage: Stage; disabled: boolean }) {
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
      <CardBody card={card} />
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

function Column({ column, canWrite }: { column: PipelineColumn; canWrite: boolean }) {
  const { t, locale } = useI18n();
  const { setNodeRef, isOver } = useDroppable({ id: column.stage });
  const hidden = column.count - column.cards.length;
  return (
    <section
      ref={setNodeRef}
      aria-label={t(stageKey(column.stage))}
      data-testid={`pipeline-column-${column.stage}`}
      data-stage={column.stage}
      className={cn("flex w-64 shrink-0 flex-col gap-2 rounded-lg border bg-muted/40 p-2 transition-colors", isOver && "border-primary bg-primary/5")}
    >
      <header className="px-1">
        <div className="flex items-center justify-between gap-2">
          <h3 className="font-semibold">{t(stageKey(column.stage))}</h3>
          <span className="rounded-full bg-background px-2 text-xs tabular-nums" data-testid="column-count">
            {formatNumber(column.count, locale)}
          </span>
        </div>
        <div className="text-xs text-muted-foreground" data-testid="column-value">
          <Money value={column.value} />
        </div>
      </header>
      <ul className="grid min-h-24 content-start gap-2">
        {column.cards.map((card) => (
          <DraggableCard key={card.lead_id} card={card} stage={column.stage} disabled={!canWrite} />
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
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor));

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
        accessibility={{
          screenReaderInstructions: { draggable: t("crm.pipeline.instructions") },
        }}
      >
        <div className="-mx-1 flex gap-3 overflow-x-auto px-1 pb-2" data-testid="pipeline-board">
          {board.stages.map((column) => (
            <Column key={column.stage} column={column} canWrite={canWrite} />
          ))}
        </div>
        {/* No drop animation: it would fly back to where the card was before the optimistic move. */}
        <DragOverlay dropAnimation={null}>
          {active ? (
            <div className="w-60 rotate-1 rounded-md border bg-background p-3 text-sm shadow-lg">
              <CardBody card={active} />
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

/** The pipeline board: counts and value sums per stage, the latest cards of each. */
export default function PipelineBoard() {
  const { t } = useI18n();
  const me = useCurrentUser();
  const board = useQuery({
    queryKey: [...PIPELINE_KEY, CARDS_PER_STAGE],
    queryFn: () => unwrap(api.GET("/api/pipeline", { params: { query: { cards: CARDS_PER_STAGE } } })),
  });
  return (
    <div className="grid grid-cols-1 gap-3">
      <p className="text-sm text-muted-foreground">{t("crm.pipeline.description")}</p>
      <QueryStates query={board}>{(data) => <PipelineColumns board={data} canWrite={me.permissions.includes(CRM_WRITE)} />}</QueryStates>
    </div>
  );
}
