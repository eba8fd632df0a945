import { DndContext, KeyboardSensor, PointerSensor, closestCenter, useDraggable, useDroppable, useSensor, useSensors, type DragEndEvent } from "@dnd-kit/core";
import { ArrowDown, ArrowUp, GripVertical } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useI18n } from "@/i18n";
import { cn } from "@/lib/utils";
import { moveItem, type Step } from "./types";

function StepRow({
  step,
  index,
  count,
  selected,
  canWrite,
  onSelect,
  onMove,
}: {
  step: Step;
  index: number;
  count: number;
  selected: boolean;
  canWrite: boolean;
  onSelect: () => void;
  onMove: (to: number) => void;
}) {
  const { t } = useI18n();
  const drag = useDraggable({ id: step.id, disabled: !canWrite });
  const drop = useDroppable({ id: step.id });
  return (
    <li
      ref={drop.setNodeRef}
      data-testid="step-row"
      className={cn(
        "flex items-center gap-2 rounded-md border bg-background p-2",
        selected && "border-primary ring-1 ring-primary",
        drop.isOver && !drag.isDragging && "border-dashed border-primary",
        drag.isDragging && "opacity-50",
      )}
    >
      {canWrite ? (
        <button
          type="button"
          ref={drag.setNodeRef}
          {...drag.listeners}
          {...drag.attributes}
          aria-label={t("funnels.steps.drag", { name: step.name })}
          className="cursor-grab touch-none rounded p-1 text-muted-foreground hover:bg-accent"
        >
          <GripVertical className="h-4 w-4" aria-hidden />
        </button>
      ) : null}
      <button type="button" onClick={onSelect} className="min-w-0 flex-1 text-left">
        <span className="block truncate text-sm font-medium">
          {index + 1}. {step.name}
        </span>
        <span className="flex flex-wrap items-center gap-1 text-xs text-muted-foreground">
          {t(`funnels.stepType.${step.step_type}`)} · <code>{step.slug}</code>
          {!step.is_active ? <Badge variant="secondary">{t("funnels.steps.inactive")}</Badge> : null}
        </span>
      </button>
      {canWrite ? (
        <div className="flex">
          <Button variant="ghost" size="icon" disabled={index === 0} aria-label={t("funnels.steps.moveUp", { name: step.name })} onClick={() => onMove(index - 1)}>
            <ArrowUp aria-hidden />
          </Button>
          <Button variant="ghost" size="icon" disabled={index === count - 1} aria-label={t("funnels.steps.moveDown", { name: step.name })} onClick={() => onMove(index + 1)}>
            <ArrowDown aria-hidden />
          </Button>
        </div>
      ) : null}
    </li>
  );
}

/** The funnel's steps in order: drag one onto another's place, or use the arrows. */
export function StepList({
  steps,
  selectedId,
  canWrite,
  onSelect,
  onReorder,
}: {
  steps: Step[];
  selectedId: string | null;
  canWrite: boolean;
  onSelect: (id: string) => void;
  onReorder: (ids: string[]) => void;
}) {
  const { t } = useI18n();
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 5 } }), useSensor(KeyboardSensor));
  const ids = steps.map((s) => s.id);
  const move = (from: number, to: number) => {
    if (from === to || to < 0 || to >= ids.length) return;
    onReorder(moveItem(ids, from, to));
  };
  const onDragEnd = (e: DragEndEvent) => {
    if (!e.over) return;
    move(ids.indexOf(String(e.active.id)), ids.indexOf(String(e.over.id)));
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd} accessibility={{ screenReaderInstructions: { draggable: t("funnels.steps.instructions") } }}>
      <ol className="grid gap-2" data-testid="step-list">
        {steps.map((step, index) => (
          <StepRow
            key={step.id}
            step={step}
            index={index}
            count={steps.length}
            selected={step.id === selectedId}
            canWrite={canWrite}
            onSelect={() => onSelect(step.id)}
            onMove={(to) => move(index, to)}
          />
        ))}
      </ol>
      {canWrite && steps.length > 1 ? <p className="mt-2 text-xs text-muted-foreground">{t("funnels.steps.dragHint")}</p> : null}
    </DndContext>
  );
}
