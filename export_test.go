package streamsql

// SetHeapReader makes the engine's memory guard (Config.MaxMemory) read
// the live heap and the count of garbage collections from read, so a
// test decides when the process is near its limit.
func SetHeapReader(e *Engine, read func() (live int64, cycles uint64)) {
	e.memory.Read = read
}
