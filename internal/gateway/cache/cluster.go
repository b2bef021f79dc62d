package cache

import "fmt"

// ClusterCapacity is the capacity in bytes of a stage's cacheClusterSize, one of AWS's sizes
// in GB ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"; a GB here is 10^9
// bytes). The in-process store bounds the stage's entries by it; nothing is reserved.
func ClusterCapacity(size string) (int64, error) {
	const gb = 1_000_000_000
	switch size {
	case "0.5":
		return gb / 2, nil
	case "1.6":
		return 16 * gb / 10, nil
	case "6.1":
		return 61 * gb / 10, nil
	case "13.5":
		return 135 * gb / 10, nil
	case "28.4":
		return 284 * gb / 10, nil
	case "58.2":
		return 582 * gb / 10, nil
	case "118":
		return 118 * gb, nil
	case "237":
		return 237 * gb, nil
	}
	return 0, fmt.Errorf("cacheClusterSize %q is not one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237", size)
}
