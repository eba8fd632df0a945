import { useSearchParams } from "react-router";
import { useCallback } from "react";

export const PAGE_SIZE = 20;

/** Current page number kept in the URL (?page=2), so lists survive reloads and back. */
export function usePageParam(): [number, (page: number) => void] {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const setPage = useCallback(
    (p: number) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (p <= 1) next.delete("page");
          else next.set("page", String(p));
          return next;
        },
        { replace: false },
      );
    },
    [setParams],
  );
  return [page, setPage];
}
