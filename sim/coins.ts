/**
 * Well-known coins the universe starts with (ticker, name, CoinGecko id, rough USD
 * price, rough circulating supply, max supply or null). Approximate values: they only
 * need to look plausible on a dashboard. Stablecoins are left out (they never move).
 */
export type KnownCoin = readonly [base: string, name: string, id: string, price: number, supply: number, max: number | null];

export const KNOWN_COINS: readonly KnownCoin[] = [
  ["BTC", "Bitcoin", "bitcoin", 67000, 19.7e6, 21e6],
  ["ETH", "Ethereum", "ethereum", 3500, 120.1e6, null],
  ["SOL", "Solana", "solana", 150, 445e6, null],
  ["BNB", "BNB", "binancecoin", 580, 147e6, 200e6],
  ["XRP", "XRP", "ripple", 0.52, 55e9, 100e9],
  ["DOGE", "Dogecoin", "dogecoin", 0.15, 144e9, null],
  ["ADA", "Cardano", "cardano", 0.45, 35e9, 45e9],
  ["TRX", "TRON", "tron", 0.12, 87e9, null],
  ["AVAX", "Avalanche", "avalanche-2", 35, 393e6, 720e6],
  ["SHIB", "Shiba Inu", "shiba-inu", 0.000025, 589e12, null],
  ["DOT", "Polkadot", "polkadot", 7, 1.4e9, null],
  ["LINK", "Chainlink", "chainlink", 15, 587e6, 1e9],
  ["BCH", "Bitcoin Cash", "bitcoin-cash", 480, 19.7e6, 21e6],
  ["NEAR", "NEAR Protocol", "near", 6, 1.07e9, null],
  ["LTC", "Litecoin", "litecoin", 85, 74.6e6, 84e6],
  ["MATIC", "Polygon", "matic-network", 0.7, 9.3e9, 10e9],
  ["UNI", "Uniswap", "uniswap", 10, 600e6, 1e9],
  ["ICP", "Internet Computer", "internet-computer", 12, 463e6, null],
  ["PEPE", "Pepe", "pepe", 0.00001, 420e12, 420.69e12],
  ["ETC", "Ethereum Classic", "ethereum-classic", 27, 147e6, 210.7e6],
  ["APT", "Aptos", "aptos", 9, 420e6, null],
  ["XLM", "Stellar", "stellar", 0.11, 29e9, 50e9],
  ["ATOM", "Cosmos Hub", "cosmos", 8, 390e6, null],
  ["FIL", "Filecoin", "filecoin", 6, 560e6, 2e9],
  ["ARB", "Arbitrum", "arbitrum", 1.1, 2.7e9, 10e9],
  ["OP", "Optimism", "optimism", 2.5, 1.07e9, 4.29e9],
  ["HBAR", "Hedera", "hedera-hashgraph", 0.1, 35.7e9, 50e9],
  ["VET", "VeChain", "vechain", 0.035, 72.7e9, 86.7e9],
  ["MKR", "Maker", "maker", 2800, 0.93e6, 1.005e6],
  ["INJ", "Injective", "injective-protocol", 25, 93e6, 100e6],
  ["GRT", "The Graph", "the-graph", 0.3, 9.5e9, null],
  ["RNDR", "Render", "render-token", 8, 388e6, 531e6],
  ["AAVE", "Aave", "aave", 95, 14.8e6, 16e6],
  ["ALGO", "Algorand", "algorand", 0.18, 8.1e9, 10e9],
  ["SAND", "The Sandbox", "the-sandbox", 0.45, 2.3e9, 3e9],
  ["MANA", "Decentraland", "decentraland", 0.45, 1.9e9, null],
  ["AXS", "Axie Infinity", "axie-infinity", 7.5, 145e6, 270e6],
  ["EGLD", "MultiversX", "elrond-erd-2", 40, 27e6, 31.4e6],
  ["XTZ", "Tezos", "tezos", 0.95, 990e6, null],
  ["EOS", "EOS", "eos", 0.8, 1.1e9, null],
  ["FLOW", "Flow", "flow", 0.9, 1.5e9, null],
  ["CRV", "Curve DAO", "curve-dao-token", 0.5, 1.2e9, 3.03e9],
  ["SNX", "Synthetix", "havven", 3, 328e6, null],
  ["LDO", "Lido DAO", "lido-dao", 2, 890e6, 1e9],
  ["QNT", "Quant", "quant-network", 100, 14.5e6, 14.6e6],
  ["CHZ", "Chiliz", "chiliz", 0.12, 8.8e9, 8.89e9],
  ["IMX", "Immutable", "immutable-x", 2, 1.5e9, 2e9],
  ["SUI", "Sui", "sui", 1.1, 2.4e9, 10e9],
  ["SEI", "Sei", "sei-network", 0.5, 2.9e9, 10e9],
  ["TIA", "Celestia", "celestia", 10, 180e6, null],
  ["WIF", "dogwifhat", "dogwifcoin", 2.5, 998e6, 998.9e6],
  ["BONK", "Bonk", "bonk", 0.00002, 69e12, null],
  ["FET", "Fetch.ai", "fetch-ai", 1.5, 2.5e9, 2.63e9],
  ["STX", "Stacks", "blockstack", 2, 1.46e9, 1.818e9],
  ["KAS", "Kaspa", "kaspa", 0.12, 23e9, 28.7e9],
  ["TON", "Toncoin", "the-open-network", 6, 3.47e9, null],
];

/** Syllables for generated coin names ("Zorvex", "Kalmira"...). */
export const SYLLABLES = [
  "ka", "zor", "vex", "lum", "tri", "nor", "qua", "sel", "dra", "mir", "pho", "xen", "tal", "ryn", "vo",
  "shi", "gal", "ne", "ori", "pex", "cor", "bly", "fin", "mo", "zu", "ael", "tor", "ix", "lyn", "sa",
];
export const SUFFIXES = ["", "", "", " Protocol", " Network", " Finance", " Chain", " AI", " Token", " Labs"];
