/**
 * A sorted collection with positions: a treap (a binary search tree balanced by random
 * priorities) whose nodes count their subtrees. Insert, remove, the position where a condition
 * starts to hold and the item at a position all take time logarithmic in the number of items
 * (expected), so a query's window over a large collection follows a write without a scan.
 */
type TreeNode<T> = { item: T; priority: number; size: number; left: TreeNode<T> | undefined; right: TreeNode<T> | undefined };

const sizeOf = <T>(node: TreeNode<T> | undefined): number => (node === undefined ? 0 : node.size);

function resize<T>(node: TreeNode<T>): TreeNode<T> {
	node.size = 1 + sizeOf(node.left) + sizeOf(node.right);
	return node;
}

/** Joins two trees, every item of `left` before every item of `right`. */
function join<T>(left: TreeNode<T> | undefined, right: TreeNode<T> | undefined): TreeNode<T> | undefined {
	if (left === undefined) return right;
	if (right === undefined) return left;
	if (left.priority > right.priority) {
		left.right = join(left.right, right);
		return resize(left);
	}
	right.left = join(left, right.left);
	return resize(right);
}

export class OrderTree<T> {
	private root: TreeNode<T> | undefined;

	constructor(private readonly compare: (a: T, b: T) => number) {}

	get size(): number {
		return sizeOf(this.root);
	}

	/** Adds an item; the caller makes sure no equal item is held. */
	insert(item: T): void {
		this.root = this.insertAt(this.root, { item, priority: Math.random(), size: 1, left: undefined, right: undefined });
	}

	private insertAt(node: TreeNode<T> | undefined, added: TreeNode<T>): TreeNode<T> {
		if (node === undefined) return added;
		if (added.priority > node.priority) {
			const [left, right] = this.split(node, added.item);
			added.left = left;
			added.right = right;
			return resize(added);
		}
		if (this.compare(added.item, node.item) < 0) node.left = this.insertAt(node.left, added);
		else node.right = this.insertAt(node.right, added);
		return resize(node);
	}

	/** Splits into the items before `item` and the rest. */
	private split(node: TreeNode<T> | undefined, item: T): [TreeNode<T> | undefined, TreeNode<T> | undefined] {
		if (node === undefined) return [undefined, undefined];
		if (this.compare(node.item, item) < 0) {
			const [left, right] = this.split(node.right, item);
			node.right = left;
			return [resize(node), right];
		}
		const [left, right] = this.split(node.left, item);
		node.left = right;
		return [left, resize(node)];
	}

	/** Removes the item equal to `item`; returns whether there was one. */
	remove(item: T): boolean {
		let removed = false;
		const removeAt = (node: TreeNode<T> | undefined): TreeNode<T> | undefined => {
			if (node === undefined) return undefined;
			const compared = this.compare(item, node.item);
			if (compared === 0) {
				removed = true;
				return join(node.left, node.right);
			}
			if (compared < 0) node.left = removeAt(node.left);
			else node.right = removeAt(node.right);
			return resize(node);
		};
		this.root = removeAt(this.root);
		return removed;
	}

	/**
	 * The number of items before the first one for which `passes` holds; `passes` must be false
	 * for a first part of the order and true for the rest.
	 */
	countBefore(passes: (item: T) => boolean): number {
		let count = 0;
		let node = this.root;
		while (node !== undefined) {
			if (passes(node.item)) node = node.left;
			else {
				count += sizeOf(node.left) + 1;
				node = node.right;
			}
		}
		return count;
	}

	/** The item at a position in the order. */
	at(index: number): T | undefined {
		let node = this.root;
		let position = index;
		while (node !== undefined) {
			const left = sizeOf(node.left);
			if (position < left) node = node.left;
			else if (position === left) return node.item;
			else {
				position -= left + 1;
				node = node.right;
			}
		}
		return undefined;
	}

	/** The items at positions `[from, to)`, in order. */
	slice(from: number, to: number): T[] {
		const items: T[] = [];
		const end = Math.min(to, this.size);
		if (from >= end) return items;
		const visit = (node: TreeNode<T> | undefined, offset: number): void => {
			if (node === undefined || items.length >= end - from) return;
			const position = offset + sizeOf(node.left);
			if (from < position) visit(node.left, offset);
			if (position >= from && position < end) items.push(node.item);
			if (position + 1 < end) visit(node.right, position + 1);
		};
		visit(this.root, 0);
		return items;
	}

	clear(): void {
		this.root = undefined;
	}
}
