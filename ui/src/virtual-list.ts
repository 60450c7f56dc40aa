// The virtualised list: only the cards within a quarter screen above and one screen below the
// window are in the DOM, and spacers stand for the rest. With every card rendered, a keystroke
// that hid or showed 40 cards cost 35-58 ms in building and discarding the render tree of their
// ~10,000 elements (docs/BENCHMARKS.md). The desktop benchmark measures this algorithm as it is.

/** What the list needs to know of its items; it knows nothing else of them. */
export interface Cards<T> {
  /** Where a rendered card's height is remembered: the same key for cards that lay out alike. */
  key(item: T): string;
  /** A card's height, with its margin, before one like it was measured. */
  estimate(item: T): number;
  /** The card's HTML: one element carrying `data-index="${index}"`. */
  html(item: T, index: number): string;
}

type Slice = { first: number; last: number };

export class VirtualList<T> {
  private items: readonly T[] = [];
  /** Set by the owner, which knows what makes a list small. */
  private whole = true;
  /** A card's height with its margin, as last measured under its key. */
  private readonly measured = new Map<string, number>();
  private slice: Slice = { first: 0, last: -1 };
  /** The list's offset from the top of the document, as of the last render. */
  private listTop = 0;
  private scrollQueued = false;

  /** `cardSelector` finds the rendered cards among the container's children; `gap` is the margin
   * between two cards, which their offsetHeight leaves out; `spacer` is the element standing
   * for cards out of view (a table body needs a row, not a div). */
  constructor(
    private readonly container: HTMLElement,
    private readonly cards: Cards<T>,
    private readonly cardSelector: string,
    private readonly gap: number,
    private readonly spacer: (height: number) => string = (h) => `<div class="spacer" style="height:${h}px"></div>`,
  ) {}

  /** Shows `items` from scratch. `whole` renders every one of them (a list small enough to keep
   * whole keeps the page's own find and the screen reader's view of every item). */
  show(items: readonly T[], whole: boolean) {
    this.items = items;
    this.whole = whole;
    this.render(true);
  }

  /** Scrolls the item at `index` to a little below the window's top and renders what is then in view. */
  scrollToItem(index: number) {
    const offset = this.items.slice(0, index).reduce((y, item) => y + this.heightOf(item), 0);
    window.scrollTo({ top: this.container.getBoundingClientRect().top + window.scrollY + offset - 80 });
    this.render(true);
  }

  /** For scroll and resize events: one render per frame, however many events came. */
  onScroll() {
    if (this.scrollQueued) return;
    this.scrollQueued = true;
    requestAnimationFrame(() => {
      this.scrollQueued = false;
      this.listTop = this.container.getBoundingClientRect().top + window.scrollY;
      this.render();
    });
  }

  private heightOf(item: T): number {
    return this.measured.get(this.cards.key(item)) ?? this.cards.estimate(item);
  }

  /** The index range to render for the current scroll position, and the space above and below. */
  private sliceInView(): Slice & { above: number; below: number } {
    if (this.whole) return { first: 0, last: this.items.length - 1, above: 0, below: 0 };
    // The list's top is read after a render has laid it out: reading it here, after the counts
    // changed, would force a layout of the outgoing cards first.
    const top = this.listTop;
    const from = window.scrollY - top - window.innerHeight / 4;
    const to = window.scrollY - top + window.innerHeight;
    let y = 0;
    let first = -1;
    let last = -1;
    let above = 0;
    let inside = 0;
    this.items.forEach((item, i) => {
      const h = this.heightOf(item);
      if (y + h > from && y < to) {
        if (first < 0) {
          first = i;
          above = y;
        }
        last = i;
        inside += h;
      }
      y += h;
    });
    if (first < 0) return { first: 0, last: -1, above: y, below: 0 };
    return { first, last, above, below: y - above - inside };
  }

  private cardHtml(i: number): string {
    return this.cards.html(this.items[i], i);
  }

  private renderedCards() {
    return this.container.querySelectorAll<HTMLElement>(`:scope > ${this.cardSelector}`);
  }

  /** Brings the DOM to the slice in view. `rebuild` after the data or the filter changed; on
   * scrolling only the cards entering or leaving are added or removed, so the rest keep their
   * layout (and a focused button keeps its focus). */
  private render(rebuild = false) {
    const container = this.container;
    const slice = this.slice;
    const next = this.sliceInView();
    const overlap = next.first <= slice.last && slice.first <= next.last;
    if (rebuild || !overlap) {
      let html = this.spacer(next.above);
      for (let i = next.first; i <= next.last; i++) html += this.cardHtml(i);
      container.innerHTML = html + this.spacer(next.below);
    } else if (next.first !== slice.first || next.last !== slice.last) {
      const [top, bottom] = [container.firstElementChild as HTMLElement, container.lastElementChild as HTMLElement];
      for (const card of this.renderedCards()) {
        const i = Number(card.dataset.index);
        if (i < next.first || i > next.last) card.remove();
      }
      let before = "";
      for (let i = next.first; i < Math.min(slice.first, next.last + 1); i++) before += this.cardHtml(i);
      if (before) top.insertAdjacentHTML("afterend", before);
      let after = "";
      for (let i = Math.max(slice.last + 1, next.first); i <= next.last; i++) after += this.cardHtml(i);
      if (after) bottom.insertAdjacentHTML("beforebegin", after);
    } else {
      return;
    }
    this.slice = { first: next.first, last: next.last };
    // Measure what was rendered, so the spacers converge on the real heights.
    for (const card of this.renderedCards()) {
      const item = this.items[Number(card.dataset.index)];
      if (item) this.measured.set(this.cards.key(item), card.offsetHeight + this.gap);
    }
    this.listTop = container.getBoundingClientRect().top + window.scrollY;
    const settled = this.sliceInView();
    (container.firstElementChild as HTMLElement).style.height = `${settled.above}px`;
    (container.lastElementChild as HTMLElement).style.height = `${settled.below}px`;
  }
}
